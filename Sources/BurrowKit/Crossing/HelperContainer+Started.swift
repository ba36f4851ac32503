import BurrowSystem
import BurrowHTTP
import BurrowPodman

/// A helper started ahead of the moment it is needed, waiting for it: its first process is a shell
/// that holds its command and runs it on a signal, so that moment costs no container's creation and
/// start, and no `exec` either. (Four ways home at once on Podman 4.3 took 0.5–0.9 s each for a
/// container's whole life; an `exec` 170–180 ms alone; the signal, the exit and the log read 85–110 ms.)
/// Closed in exactly as a helper run on demand (its spec is the same); it holds nothing of the agent's
/// but the volumes, and the agent's container cannot reach it.
extension HelperContainer {
    /// What a waiting helper prints once its trap is set: from then on the signal runs its command.
    static let readyLine = "burrow-helper: waiting"

    /// `command` behind a shell that sleeps (68 years at most) until SIGUSR1, then becomes `command`.
    /// The shell is the container's first process, so signals it has no trap for do not reach it
    /// (SIGKILL from the host aside: the time limit and the removal use it).
    static func waiting(_ command: [String]) -> [String] {
        ["/bin/sh", "-c", "trap 'kill $! 2>/dev/null; exec \"$@\"' USR1; echo '\(readyLine)'; /bin/sleep 2147483647 & wait; exit 125",
         "burrow-waiting"] + command
    }

    /// Creates the helper and starts it waiting to run `command`; returns once it waits (its trap set:
    /// a signal before that would be lost). `runStarted` with the same command runs it.
    func startWaiting(_ command: [String]) async throws {
        try await podman.remove(name, stopTimeout: 0)
        _ = try await podman.createContainer(spec(Self.waiting(command)))
        do {
            try await podman.start(name)
            try await untilWaiting()
        } catch {
            await removeUncancelled()
            throw error
        }
    }

    /// As `run`, in the helper `startWaiting(command)` started: the signal runs the command, bounded by
    /// the time limit, and the helper is removed while `then` works. A helper that is no longer there
    /// or no longer waiting (Podman restarted, removed from outside) gives way to one made now.
    func runStarted<T: Sendable, U: Sendable>(_ command: [String],
                                              collect: @Sendable (PodmanClient, String, Outcome) async throws -> T,
                                              then: @Sendable (Outcome, T) async throws -> U) async throws -> U {
        do {
            try await podman.kill(name, signal: "SIGUSR1")
        } catch let error as PodmanError where !error.isConnectionLoss {
            return try await run(command, collect: collect, then: then)
        }
        return try await untilExit(collect: collect, then: then)
    }

    /// The started helper's first line, within 5 s (a turn's end awaits a start under way; past it,
    /// the way home makes its own helper).
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
