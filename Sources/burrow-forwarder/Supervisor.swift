import Glibc

/// Runs the agent as a child process, passes termination signals on to it, and reaps every child
/// that ends (the forwarder may be PID 1, where orphans land).
enum Supervisor {
    nonisolated(unsafe) static var child: pid_t = 0

    /// Starts `command`, with `stdin` (when given) as its standard input.
    static func spawn(_ command: [String], stdin: Int32? = nil) -> pid_t? {
        var pid: pid_t = 0
        let cStrings = command.map { strdup($0) } + [nil]
        defer { cStrings.forEach { free($0) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let stdin { posix_spawn_file_actions_adddup2(&actions, stdin, 0) }
        let result = posix_spawnp(&pid, command[0], &actions, nil, cStrings, environ)
        guard result == 0 else { errno = result; return nil }
        child = pid
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGQUIT] {
            Glibc.signal(signal) { received in if Supervisor.child > 0 { kill(Supervisor.child, received) } }
        }
        Glibc.signal(SIGPIPE, SIG_IGN)
        return pid
    }

    /// The exit status (128 + signal when killed) once `pid` has ended; reaps any other child too.
    static func reap(_ pid: pid_t) -> Int32? {
        var status: Int32 = 0
        while true {
            let ended = waitpid(-1, &status, WNOHANG)
            if ended <= 0 { return nil }
            if ended == pid {
                let code = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
                return code
            }
        }
    }
}
