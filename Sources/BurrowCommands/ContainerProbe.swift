import BurrowSystem
import BurrowHTTP
import BurrowPodman
import BurrowKit
import BurrowWeb
/// A short-lived container that answers one question for `burrow doctor`: created, started, waited
/// for, its output read, then removed with its volume whatever happened. Its output is the image's
/// and is only shown as text.
public enum ContainerProbe {
    public struct Outcome: Sendable {
        /// nil when the container could not start (Podman's reason in `startError`).
        public var exitCode: Int32?
        public var output: String
        public var startError: String?
    }

    static let label = "io.burrow.doctor"

    public static func run(_ podman: PodmanClient, spec base: ContainerSpec, workspaceVolume: Bool = false,
                           timeout: Duration = .seconds(60)) async throws -> Outcome {
        let name = "burrow-doctor-\(UInt32.random(in: 0...UInt32.max))"
        var spec = base
        spec.name = name
        spec.labels[label] = "1"
        if workspaceVolume { spec.volumes.append(.init(name: name, destination: "/workspace")) }
        do {
            if workspaceVolume { try await podman.createVolume(name: name, labels: [label: "1"]) }
            let outcome = try await probe(podman, spec: spec, timeout: timeout)
            await removeAll(podman, name: name, volume: workspaceVolume)
            return outcome
        } catch {
            await removeAll(podman, name: name, volume: workspaceVolume)
            throw error
        }
    }

    private static func probe(_ podman: PodmanClient, spec: ContainerSpec, timeout: Duration) async throws -> Outcome {
        let name = spec.name ?? ""
        _ = try await podman.createContainer(spec)
        do {
            try await podman.start(name)
        } catch let error as PodmanError {
            return Outcome(exitCode: nil, output: "", startError: "\(error)")
        }
        let code = try await withDeadline(timeout, operation: "the doctor's probe container") { try await podman.wait(name) }
        var output: [UInt8] = []
        let logs = try await podman.logs(name, follow: false)
        defer { logs.close() }
        while output.count < 64 << 10, let frames = try await logs.next() {
            for frame in frames { output += frame.payload }
        }
        return Outcome(exitCode: code, output: printable(output.prefix(64 << 10)), startError: nil)
    }

    /// The output as text safe for a terminal: control characters other than newline and tab become
    /// `?`, so an image cannot send escape sequences to the doctor's terminal.
    static func printable(_ bytes: some Collection<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self).unicodeScalars.map { scalar -> String in
            if scalar == "\n" || scalar == "\t" { return String(scalar) }
            if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) { return "?" }
            return String(scalar)
        }.joined()
    }

    private static func removeAll(_ podman: PodmanClient, name: String, volume: Bool) async {
        try? await podman.remove(name)
        if volume { try? await podman.removeVolume(name, force: true) }
    }
}
