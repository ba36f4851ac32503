import Dispatch
import Glibc

/// One spawned child and the one rule that makes signalling it safe: its process id is signalled
/// only while it has not been reaped. The waiter first waits *without* reaping (`WNOWAIT`), marks the
/// child exited under the lock, and only then reaps it, so a SIGTERM or SIGKILL can never reach a
/// process that was given the same id later.
final class ChildProcess: Sendable {
    let pid: pid_t
    private let grace: Duration
    private let state = Locked(State())

    private struct State {
        var exited = false
        var terminating = false
        var timedOut = false
    }

    private init(pid: pid_t, grace: Duration) {
        self.pid = pid
        self.grace = grace
    }

    var wasTimedOut: Bool { state.withLock { $0.timedOut } }

    /// Spawns `arguments[0]` (searched on PATH) with stdin from a file (/dev/null unless told) or a
    /// descriptor, stdout and stderr into the named files, default signal dispositions, an empty signal
    /// mask and its own process group.
    /// Where the child's standard output goes: a file, or a descriptor it gets as its fd 1.
    enum Output {
        case file(String)
        case descriptor(Int32)
    }

    /// Where the child's standard input comes from.
    enum Input {
        case file(String)
        case descriptor(Int32)
    }

    static func spawn(_ arguments: [String], environment: [String], stdout: Output, stderr: String, grace: Duration,
                      stdin: Input = .file("/dev/null")) throws(SystemError) -> ChildProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        switch stdin {
        case .file(let path): posix_spawn_file_actions_addopen(&actions, 0, path, O_RDONLY, 0)
        case .descriptor(let fd): posix_spawn_file_actions_adddup2(&actions, fd, 0)
        }
        switch stdout {
        case .file(let path): posix_spawn_file_actions_addopen(&actions, 1, path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        case .descriptor(let fd): posix_spawn_file_actions_adddup2(&actions, fd, 1)
        }
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o600)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var everySignal = sigset_t()
        sigfillset(&everySignal)
        posix_spawnattr_setsigdefault(&attributes, &everySignal)
        var noSignal = sigset_t()
        sigemptyset(&noSignal)
        posix_spawnattr_setsigmask(&attributes, &noSignal)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP))

        var pid: pid_t = 0
        let spawned = withCStrings(arguments) { argv in
            withCStrings(environment) { envp in
                posix_spawnp(&pid, arguments[0], &actions, &attributes, argv, envp)
            }
        }
        guard spawned == 0 else { throw SystemError(call: "posix_spawnp \(arguments[0])", code: spawned) }
        return ChildProcess(pid: pid, grace: grace)
    }

    /// Waits on a Dispatch thread until the child exits, reaps it and returns its exit code
    /// (128 + the signal number when a signal ended it).
    func waitForExit() async -> Int32 {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var info = siginfo_t()
                while waitid(P_PID, id_t(self.pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR {}
                var status: Int32 = 0
                self.state.withLock { state in
                    state.exited = true
                    while waitpid(self.pid, &status, 0) < 0 && errno == EINTR {}
                }
                continuation.resume(returning: (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F))
            }
        }
    }

    /// SIGTERM to the child's process group now, SIGKILL after the grace period if it is still there.
    func terminate(timedOut: Bool) {
        let first = state.withLock { state -> Bool in
            if timedOut && !state.exited { state.timedOut = true }
            guard !state.exited, !state.terminating else { return false }
            state.terminating = true
            kill(-pid, SIGTERM)
            return true
        }
        guard first else { return }
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(grace.nanoseconds))) {
            self.state.withLock { state in
                if !state.exited { kill(-self.pid, SIGKILL) }
            }
        }
    }

    private static func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
        let pointers = strings.map { strdup($0) } + [nil]
        defer { for pointer in pointers { free(pointer) } }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}
