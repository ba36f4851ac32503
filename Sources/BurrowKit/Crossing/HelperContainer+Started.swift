import BurrowSystem
import BurrowHTTP
import BurrowPodman

/// A helper started ahead of the moment it is needed, idle until then: its script runs with `exec`
/// when the moment comes, so that moment costs no container's creation, start, exit and log read.
/// (Four ways home at once on Podman 4.3 took 0.5–0.9 s each for those; an `exec` 0.2–0.35 s.)
/// Closed in exactly as a helper run on demand (its spec is the same); it holds nothing of the
/// agent's but the volumes, and the agent's container cannot reach it.
extension HelperContainer {
    /// What an idle helper runs: nothing, until it is removed (68 years at most).
    static let idleCommand = ["/bin/sleep", "2147483647"]

    /// Creates the helper and starts it idle, ready for `runStarted`.
    func startIdle() async throws {
        try await podman.remove(name)
        _ = try await podman.createContainer(spec(Self.idleCommand))
        do {
            try await podman.start(name)
        } catch {
            await removeUncancelled()
            throw error
        }
    }

    /// As `run`, in the helper `startIdle` started: `command` runs in it with `exec`, bounded by the
    /// time limit (the helper is killed past it), and the helper is removed while `then` works. A
    /// helper that is no longer there to `exec` in (Podman restarted, removed from outside) gives way
    /// to one made now.
    func runStarted<T: Sendable, U: Sendable>(_ command: [String],
                                              collect: @Sendable (PodmanClient, String, Outcome) async throws -> T,
                                              then: @Sendable (Outcome, T) async throws -> U) async throws -> U {
        let session: (id: String, connection: UpgradedConnection)
        do {
            var exec = ExecSpec(command: command, tty: false)
            exec.AttachStdin = false
            let id = try await podman.createExec(name, exec)
            session = (id, try await podman.startExec(id, tty: false))
        } catch let error as PodmanError where !error.isConnectionLoss {
            return try await run(command, collect: collect, then: then)
        }
        let outcome: Outcome, collected: T
        do {
            let printed = try await readBounded(session.connection)
            guard let code = await podman.execExitCode(session.id) else {
                throw CrossingError.helperFailed(step: step, detail: "Podman did not report the helper's exit status")
            }
            outcome = try checked(code, printed)
            // Read while it idles: a file asked for while it stops can come back as an empty archive.
            collected = try await collect(podman, name, outcome)
            // Ended now, not when it is removed: its exit and Podman's clean-up of its mounts (300–470 ms
            // on a 30,000-file image volume) run while the host takes the work in.
            try? await podman.kill(name)
        } catch {
            await removeUncancelled()
            throw error
        }
        return try await handOver(outcome, collected, then)
    }

    /// The session's output until its streams close; past the time limit the helper is killed
    /// (which ends the session) and a timeout is thrown.
    private func readBounded(_ connection: UpgradedConnection) async throws -> Outcome {
        let podman = self.podman, name = self.name, timeout = self.timeout
        // Set before the kill: the session's streams close as the helper dies, and may be read to
        // their end before the kill's own answer comes.
        let timedOut = Locked(false)
        let late = CrossingError.helperTimedOut(step: step, seconds: Int(timeout.components.seconds))
        let outcome: Outcome?
        do {
            outcome = try await withThrowingTaskGroup(of: Outcome?.self) { group in
                group.addTask { try await Self.read(connection) }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    timedOut.withLock { $0 = true }
                    try? await podman.kill(name)
                    return nil
                }
                defer { group.cancelAll() }
                return try await group.next() ?? nil
            }
        } catch where timedOut.withLock({ $0 }) {
            throw late  // the kill broke the connection mid-read
        }
        guard let outcome, !timedOut.withLock({ $0 }) else { throw late }
        return outcome
    }

    /// Reads Podman's 8-byte frames off the session's connection, which it owns and closes.
    private static func read(_ connection: UpgradedConnection) async throws -> Outcome {
        defer { connection.socket.close() }
        var decoder = LogFrameDecoder(mode: .framed)
        var lines = OutputLines()
        lines.add(decoder.decode(connection.leftover))
        var buffer: [UInt8] = []
        while try await connection.socket.read(into: &buffer) > 0 {
            lines.add(decoder.decode(buffer))
            buffer.removeAll(keepingCapacity: true)
        }
        return lines.outcome()
    }
}
