import FoundationEssentials
import BurrowSystem
import BurrowHTTP

/// Burrow's side of `burrow-vault`, the helper process that alone holds the real credential and
/// makes the upstream requests. Started on first use (an idle Burrow holds no key-bearing process),
/// started again if it dies; the credential is read from its source only to hand it over. The
/// socket lives in a folder only Burrow's user can enter.
package actor ModelVault {
    package struct Unavailable: Error, CustomStringConvertible, Sendable {
        package let description: String
    }

    let upstream: URL
    /// Request bodies in flight to this vault from every burrow's endpoint: what it holds at most.
    let bodies = BodyAdmission(limit: BodyAdmission.totalBytes)
    private let loadCredential: @Sendable () throws -> Credential
    private let executable: String
    private var running: (process: CompanionProcess, client: HTTPClient, directory: String)?
    private var starting: Task<HTTPClient, any Error>?

    package init(upstream: URL, executable: String = ModelVault.defaultExecutable(),
                 loadCredential: @escaping @Sendable () throws -> Credential) {
        self.upstream = upstream
        self.executable = executable
        self.loadCredential = loadCredential
    }

    /// A client to the running vault, starting it first when needed. Calls that arrive while it starts
    /// wait for that one start (the actor is reentrant at every await of it).
    func client() async throws -> HTTPClient {
        if let running, running.process.isRunning { return running.client }
        if let starting { return try await starting.value }
        let start = Task { try await self.start() }
        starting = start
        defer { starting = nil }
        return try await start.value
    }

    private func start() async throws -> HTTPClient {
        await stopRunning()  // one that died
        let directory = try FileSystem.makeTemporaryDirectory("burrow-vault")
        let socket = directory + "/vault.sock"
        var process: CompanionProcess?
        do {
            let started = try CompanionProcess([executable, "--socket", socket, "--upstream", upstream.absoluteString],
                                               log: directory + "/vault.log")
            process = started
            try await started.control.write(Array((try loadCredential().value + "\n").utf8))
            let answer = try await started.readLine(timeout: .seconds(10))
            guard answer == "ready" else { throw Unavailable(description: "burrow-vault did not start: \(log(directory))") }
            // Only now, listening: no caller is handed a client to a socket that is not there yet.
            let client = HTTPClient(address: .unix(socket))
            running = (started, client, directory)
            return client
        } catch {
            let reason = log(directory)
            if let process { _ = await process.stop() }
            FileSystem.removeTree(directory)
            if let error = error as? Unavailable { throw error }
            throw Unavailable(description: "burrow-vault (\(executable)) did not start: \(error)\(reason.isEmpty ? "" : ": " + reason)")
        }
    }

    /// Ends the vault (it exits when its standard input closes) and removes its folder; a start under
    /// way is waited for first, so no vault outlives this.
    package func stop() async {
        if let starting { _ = try? await starting.value }
        await stopRunning()
    }

    private func stopRunning() async {
        guard let current = running else { return }
        running = nil
        _ = await current.process.stop()
        FileSystem.removeTree(current.directory)
    }

    private func log(_ directory: String) -> String {
        let bytes = (try? FileSystem.readFile(directory + "/vault.log", limit: 4096)) ?? []
        return String(String(decoding: bytes, as: UTF8.self).trimmingSpaces)
    }

    /// `burrow-vault` beside the running executable (the `burrow` binary, or the test bundle).
    package static func defaultExecutable() -> String {
        SandboxLayout.besideExecutable("burrow-vault")
    }
}
