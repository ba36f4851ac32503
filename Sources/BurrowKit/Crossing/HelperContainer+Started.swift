import BurrowSystem
import BurrowHTTP
import BurrowPodman

/// A helper started ahead of the moment it is needed, waiting for it: its first process is a shell
/// that holds its command and runs it on a signal, so that moment costs no container's creation and
/// start, and no `exec` either. The shell then says the command's exit status on its output (with a
/// word only Burrow knows) and sleeps: its files are read while it still runs, and it is killed after,
/// so its exit and Podman's clean-up of its mounts (300–470 ms on a 30,000-file volume, holding the
/// container's lock) run while the host takes the work in.
/// Closed in exactly as a helper run on demand (its spec is the same); it holds nothing of the agent's
/// but the volumes, and the agent's container cannot reach it.
extension HelperContainer {
    /// A helper started ahead: the command it waits to run, and the word its end is said with.
    struct Waiting: Sendable, Equatable {
        let command: [String]
        let environment: [String: String]
        let word: String
        var doneLine: String { "burrow-helper: done \(word) " }
    }

    /// What a waiting helper prints once its trap is set: from then on the signal runs its command.
    static let readyLine = "burrow-helper: waiting"

    /// `waiting.command` behind a shell that sleeps (68 years at most) until SIGUSR1, then runs it and
    /// says its status. The shell is the container's first process, so signals it has no trap for do
    /// not reach it (SIGKILL from the host aside: the time limit and the removal use it).
    static func shell(_ waiting: Waiting) -> [String] {
        ["/bin/sh", "-c", "trap 'kill $! 2>/dev/null; \"$@\" </dev/null; s=$?; echo \"\(waiting.doneLine)$s\"; echo \"\(waiting.doneLine)$s\" >&2; "
            + "exec /bin/sleep 2147483647' USR1; "
            + "echo '\(readyLine)'; /bin/sleep 2147483647 & wait; exit 125", "burrow-waiting"] + waiting.command
    }

    /// Creates the helper and starts it waiting to run `command`; returns once it waits (its trap set:
    /// a signal before that would be lost). `runStarted` with what it returns runs the command.
    func startWaiting(_ command: [String]) async throws -> Waiting {
        var random = SystemRandomNumberGenerator()
        let word = (0..<2).map { _ in String(random.next(), radix: 16) }.joined(separator: "-")
        let waiting = Waiting(command: command, environment: environment, word: word)
        try await podman.remove(name, stopTimeout: 0)
        _ = try await podman.createContainer(spec(Self.shell(waiting)))
        do {
            try await podman.start(name)
            try await untilWaiting()
        } catch {
            await removeUncancelled()
            throw error
        }
        return waiting
    }

    /// As `run`, in the helper `startWaiting` started: the signal runs its command, bounded by the time
    /// limit (the helper is killed past it); `collect` reads its files while it still runs, then it is
    /// killed and removed while `then` works. A helper that is no longer there or no longer waiting
    /// (Podman restarted, removed from outside) gives way to one made now.
    func runStarted<T: Sendable, U: Sendable>(_ waiting: Waiting,
                                              collect: @Sendable (PodmanClient, String, Outcome) async throws -> T,
                                              then: @Sendable (Outcome, T) async throws -> U) async throws -> U {
        // Attached first (Podman answers once it is attached): what the command prints from the signal
        // on comes as it is written (a followed log is polled: 250 ms on Podman 4.3).
        let stream: LogStream
        do {
            stream = try await podman.attach(name, headDeadline: PodmanClient.defaultTimeout)
            do {
                try await podman.kill(name, signal: "SIGUSR1")
            } catch {
                stream.close()
                throw error
            }
        } catch let error as PodmanError where !error.isConnectionLoss {
            return try await run(waiting.command, collect: collect, then: then)
        }
        let outcome: Outcome, collected: T
        do {
            let (code, printed) = try await readBounded(stream, until: waiting)
            outcome = try checked(code, printed)
            // Read while it still runs: a file asked for while a container stops can come back as an empty archive.
            collected = try await collect(podman, name, outcome)
            try? await podman.kill(name)
        } catch {
            await removeUncancelled()
            throw error
        }
        return try await handOver(outcome, collected, then)
    }

    /// The helper's output until the shell says the command's status; past the time limit the helper is
    /// killed (which ends the stream) and a timeout is thrown.
    private func readBounded(_ stream: LogStream, until waiting: Waiting) async throws -> (Int32, Outcome) {
        let podman = self.podman, name = self.name, timeout = self.timeout, step = self.step
        // Set before the kill: the stream closes as the helper dies, and may be read to its end first.
        let timedOut = Locked(false)
        let late = CrossingError.helperTimedOut(step: step, seconds: Int(timeout.components.seconds))
        let read: (Int32, Outcome)??
        do {
            read = try await withThrowingTaskGroup(of: (Int32, Outcome)??.self) { group in
                group.addTask { .some(try await Self.read(stream, until: waiting)) }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    timedOut.withLock { $0 = true }
                    try? await podman.kill(name)
                    return .none
                }
                defer { group.cancelAll() }
                return try await group.next() ?? .none
            }
        } catch where timedOut.withLock({ $0 }) {
            throw late
        }
        guard case .some(let ended) = read, !timedOut.withLock({ $0 }) else { throw late }
        guard let ended else {
            throw CrossingError.helperFailed(step: step, detail: "the helper stopped before its command ended")
        }
        return ended
    }

    /// Reads the stream, which it owns and closes, until the shell has said the command's status on both
    /// of its streams (each keeps its order, so all the command wrote came before; nil: the stream ended
    /// first). Only the shell knows the word, so the command cannot print that line.
    private static func read(_ stream: LogStream, until waiting: Waiting) async throws -> (Int32, Outcome)? {
        defer { stream.close() }
        var lines = OutputLines()
        var code: Int32?, saidOnStderr = false
        while let frames = try await stream.next() {
            for line in lines.add(frames) {
                // After the command's last line, or after what it printed with no newline at its end.
                guard let said = line.text.firstRange(of: waiting.doneLine) else { continue }
                if line.stream == .stderr { saidOnStderr = true } else { code = Int32(line.text[said.upperBound...]) ?? -1 }
            }
            guard let code, saidOnStderr else { continue }
            let outcome = lines.outcome()
            // The shell's lines out, what the command printed before them on the same line kept.
            let unsaid = { (lines: [String]) in
                lines.compactMap { line in line.firstRange(of: waiting.doneLine).map { String(line[..<$0.lowerBound]) }.map { $0.isEmpty ? nil : $0 } ?? line }
            }
            return (code, Outcome(stdout: unsaid(outcome.stdout), stderr: unsaid(outcome.stderr)))
        }
        return nil
    }

    /// The started helper's first line, within 5 s (a turn's end awaits a start under way; past it, the
    /// way home makes its own helper).
    private func untilWaiting() async throws {
        let podman = self.podman, name = self.name
        let waiting = try await withTimeLimit(.seconds(5)) {
            let stream = try await podman.logs(name, follow: true)
            defer { stream.close() }
            var assembler = LineAssembler(maxLineBytes: 4096)
            while let frames = try await stream.next() {
                for frame in frames where assembler.add(frame).contains(where: { $0.text == Self.readyLine }) { return true }
            }
            return false
        }
        guard waiting == true else {
            throw CrossingError.helperFailed(step: step, detail: "the helper started ahead did not come up waiting within 5 s")
        }
    }
}
