import BurrowSystem
import BurrowHTTP
import BurrowPodman

/// Runs one of Burrow's helper scripts in a short-lived container of the helper image, closed in like
/// a burrow (no network, no capabilities, no new privileges, the agent's uid), on the burrow's
/// volumes. Its output is read as text and bounded; it never runs longer than its time limit.
struct HelperContainer {
    let podman: PodmanClient
    let image: String
    let name: String
    let labels: [String: String]
    let user: AgentIdentity
    let volumes: [ContainerSpec.NamedVolume]
    let step: String
    /// The burrow's own id range (nil: Podman's default user namespace).
    var idMappings: ContainerSpec.IDMappings?
    /// Root of the container's user namespace, with no capabilities (it owns a new volume's root).
    var asRoot = false
    var scratchLimitBytes: Int64?
    /// A host folder shown read-only at `/upper`: the workspace volume's own layer, for the harvest.
    var layer: String?
    var timeout: Duration = .seconds(600)
    /// What a script is told that no other local user may read (a process's arguments are public).
    var environment: [String: String] = [:]

    struct Outcome: Sendable {
        let stdout: [String]
        let stderr: [String]
        /// The last line of standard output: the scripts' one-line JSON summary.
        var summary: String { stdout.last ?? "" }
    }

    /// Creates the container, hands it `input` (a tar unpacked at `/in`), runs `command` and returns its
    /// output; `collect` reads files from the exited container (given what it printed) before it is removed.
    func run<T: Sendable>(_ command: [String], input: String? = nil,
                          collect: @Sendable (PodmanClient, String, Outcome) async throws -> T) async throws -> (Outcome, T) {
        try await run(command, input: input, collect: collect) { ($0, $1) }
    }

    /// As `run`, then `then` works on what came out while Podman removes the container (both are
    /// awaited: nothing of the helper outlives the call).
    func run<T: Sendable, U: Sendable>(_ command: [String], input: String? = nil,
                                       collect: @Sendable (PodmanClient, String, Outcome) async throws -> T,
                                       then: @Sendable (Outcome, T) async throws -> U) async throws -> U {
        // One left by an earlier Burrow may still run (a helper started ahead ignores SIGTERM).
        try await podman.remove(name, stopTimeout: 0)
        _ = try await podman.createContainer(spec(command))
        let outcome: Outcome, collected: T
        do {
            if let input { try await podman.putArchive(name, path: "/in", tar: .file(input)) }
            try await podman.start(name)
            let code = try await waitBounded()
            outcome = try checked(code, try await output())
            collected = try await collect(podman, name, outcome)
        } catch {
            await removeUncancelled()
            throw error
        }
        return try await handOver(outcome, collected, then)
    }

    /// The outcome of a helper that exited with `code`: a failure names the step and the helper's last words.
    func checked(_ code: Int32, _ outcome: Outcome) throws -> Outcome {
        guard code == 0 else {
            let detail = (outcome.stderr.suffix(5) + outcome.stdout.suffix(2)).joined(separator: " / ")
            throw CrossingError.helperFailed(step: step, detail: detail.isEmpty ? "exit code \(code)" : String(detail.prefix(1000)))
        }
        return outcome
    }

    /// `then` works on what came out while Podman removes the container; both are awaited.
    func handOver<T: Sendable, U: Sendable>(_ outcome: Outcome, _ collected: T,
                                           _ then: @Sendable (Outcome, T) async throws -> U) async throws -> U {
        async let removed: Void = removeUncancelled()
        do {
            let result = try await then(outcome, collected)
            await removed
            return result
        } catch {
            await removed
            throw error
        }
    }

    /// Unpacks a tar, streamed as it is made, at `path` on the helper's volumes; the container is
    /// created for this and removed, never started. Podman gives the files to the helper's user.
    func upload(to path: String, _ produce: @escaping @Sendable (ClientBodyWriter) async throws -> Void) async throws {
        try await podman.remove(name)
        _ = try await podman.createContainer(spec(["/bin/true"]))
        do {
            try await podman.putArchive(name, path: path, tar: .stream(produce))
        } catch {
            await removeUncancelled()
            throw error
        }
        await removeUncancelled()
    }

    /// Creates the container and removes it, never started: Podman keeps the image's copy chowned for
    /// the helper's id mapping, so the next container in that mapping starts without making one.
    func prepareMapping() async throws {
        try await podman.remove(name)
        _ = try await podman.createContainer(spec(["/bin/true"]))
        await removeUncancelled()
    }

    /// The helper's removal, done even when the step that ran it was cancelled: a helper stopped
    /// halfway is not left behind in Podman. One still running (started ahead, waiting) is killed at once.
    func removeUncancelled() async {
        let podman = self.podman, name = self.name
        await withUncancelledTask { try? await podman.remove(name, stopTimeout: 0) }
    }

    func spec(_ command: [String]) -> ContainerSpec {
        var spec = ContainerSpec(image: image)
        spec.name = name
        spec.command = command
        spec.user = asRoot ? "0:0" : "\(user.uid):\(user.gid)"
        spec.labels = labels.merging(["io.burrow.role": "helper"]) { $1 }
        spec.env = environment
        spec.volumes = volumes
        spec.idMappings = idMappings
        spec.network = .none
        spec.capDrop = ["ALL"]
        spec.noNewPrivileges = true
        spec.mounts = [.tmpfs(at: "/tmp", options: ["rw", "nosuid", "nodev", "size=64m"])]
        if let layer { spec.mounts.append(.bind(layer, at: "/upper")) }
        if let scratchLimitBytes {
            spec.mounts.append(.tmpfs(at: "/scratch", options: ["rw", "nosuid", "nodev", "size=\(scratchLimitBytes)", "mode=1777"]))
        }
        spec.stopTimeout = 1
        return spec
    }

    /// The exit code, or a timeout error after the container is killed.
    private func waitBounded() async throws -> Int32 {
        let podman = self.podman, name = self.name, timeout = self.timeout
        guard let code = try await withTimeLimit(timeout, { try await podman.wait(name) }) else {
            try? await podman.kill(name)
            throw CrossingError.helperTimedOut(step: step, seconds: Int(timeout.components.seconds))
        }
        return code
    }

    /// Everything the helper printed, line by line (at most a few hundred lines are kept per stream).
    private func output() async throws -> Outcome {
        let stream = try await podman.logs(name, follow: false)
        defer { stream.close() }
        var lines = OutputLines()
        while let frames = try await stream.next() { lines.add(frames) }
        return lines.outcome()
    }
}

/// A helper's output as lines, bounded: lines of at most 64 KiB, the last 200 to 400 of each stream.
struct OutputLines {
    private var assembler = LineAssembler(maxLineBytes: 64 << 10)
    private var stdout: [String] = [], stderr: [String] = []

    /// Takes `frames` in; returns the lines they completed.
    @discardableResult
    mutating func add(_ frames: [LogFrameDecoder.Frame]) -> [LineAssembler.Line] {
        var completed: [LineAssembler.Line] = []
        for frame in frames {
            let lines = assembler.add(frame)
            keep(lines)
            completed += lines
        }
        return completed
    }

    mutating func outcome() -> HelperContainer.Outcome {
        keep(assembler.flush())
        return HelperContainer.Outcome(stdout: stdout, stderr: stderr)
    }

    private mutating func keep(_ lines: [LineAssembler.Line]) {
        for line in lines {
            if line.stream == .stderr { stderr.append(line.text) } else { stdout.append(line.text) }
        }
        if stdout.count > 400 { stdout.removeFirst(stdout.count - 200) }
        if stderr.count > 400 { stderr.removeFirst(stderr.count - 200) }
    }
}

/// The numeric user a burrow's agent runs as, and so owns its workspace.
public struct AgentIdentity: Sendable, Equatable, Hashable, Codable {
    public let uid: Int
    public let gid: Int
}
