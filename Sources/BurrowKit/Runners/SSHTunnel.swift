import BurrowSystem
import BurrowPodman

/// One remote runner's SSH connection, owned by one OpenSSH master process (ControlMaster): it
/// carries the runner's Podman socket to a local Unix socket, so Burrow's Podman client works over it
/// unchanged, each remote burrow's egress socket the other way (`-R`, added and cancelled through
/// the master), and short remote commands. A forwarded socket rather than `podman system
/// dial-stdio`: one SSH connection multiplexes every API connection (dial-stdio costs an SSH session
/// per HTTP connection and a transport of its own in the client), and it works the same with
/// Podman 4.3 and 5.x. When the master exits (network gone, sshd restarted, killed) the supervisor
/// starts another and puts every forward back; in between, the local socket is gone and Podman calls
/// fail as a Podman outage does, which the lifecycle already waits out.
package final class SSHTunnel: Sendable {
    let destination: SSHDestination
    let options: [String]
    let localSocket: String
    let controlPath: String
    private let configuredSocket: String?
    private let state = Locked(State())
    /// Woken each time the connection comes up or goes down.
    package let connectivity = Wakeup()

    private struct State {
        var remoteRuntime: String?
        var reverse: [String: ReverseForward] = [:]
        /// Which master (by `attempt`) each forward was put in place through, claimed before the work.
        var placed: [String: Int] = [:]
        var attempt = 0
        var connected = false
        var connections = 0
        var lastError: String?
        var supervisor: Task<Void, Never>?
    }

    /// `folder`: a private local folder for the control and Podman sockets.
    init(destination: SSHDestination, identityFile: String, knownHostsFile: String, folder: String, podmanSocket: String?) {
        self.destination = destination
        controlPath = folder + "/control.sock"
        localSocket = folder + "/podman.sock"
        options = destination.options(identityFile: identityFile, knownHostsFile: knownHostsFile, controlPath: controlPath)
        configuredSocket = podmanSocket == "auto" ? nil : podmanSocket
    }

    package var isConnected: Bool { state.withLock { $0.connected } }
    /// How many times the master has come up (1 after the first connection).
    var connections: Int { state.withLock { $0.connections } }
    package var lastError: String? { state.withLock { $0.lastError } }
    /// The SSH user's runtime folder on the runner (`$XDG_RUNTIME_DIR`, else `/run/user/UID`).
    var remoteRuntime: String? { state.withLock { $0.remoteRuntime } }

    func start() {
        state.withLock { state in
            guard state.supervisor == nil else { return }
            state.supervisor = Task { await self.supervise() }
        }
    }

    /// Ends the master (and with it every forward); the runner's containers run on.
    package func shutdown() async {
        let supervisor = state.withLock { state -> Task<Void, Never>? in
            defer { state.supervisor = nil }
            return state.supervisor
        }
        supervisor?.cancel()
        await supervisor?.value
        FileSystem.remove(localSocket)
        FileSystem.remove(controlPath)
    }

    /// Waits until the connection is up, at most `timeout`.
    package func waitConnected(timeout: Duration = .seconds(20)) async throws {
        let deadline = Monotonic.after(timeout)
        while true {
            let seen = connectivity.generation
            if isConnected { return }
            let now = Monotonic.now()
            guard now < deadline else { throw RunnerError.unreachable(lastError ?? "no connection within \(timeout)") }
            try await connectivity.wait(past: seen, for: .nanoseconds(Int64(deadline - now)))
        }
    }

    private func supervise() async {
        var backoff = Backoff(initial: .milliseconds(200), maximum: .seconds(5))
        while !Task.isCancelled {
            FileSystem.remove(controlPath)
            FileSystem.remove(localSocket)
            let started = Monotonic.now()
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    let result = try? await Subprocess.run(["ssh", "-M", "-N", "-o", "ControlPersist=no"] + self.options + [self.destination.host])
                    self.state.withLock { state in
                        state.connected = false
                        let reason = result.map { $0.stderr.trimmingSpaces } ?? ""
                        state.lastError = reason.isEmpty ? "ssh ended (exit \(result?.status ?? -1))" : String(reason.suffix(500))
                    }
                    self.connectivity.wake()
                }
                group.addTask { await self.establish() }
            }
            if Task.isCancelled { break }
            // A connection that lasted starts the back-off over; one that failed at once lengthens it.
            if Monotonic.now() - started > 10_000_000_000 { backoff.reset() }
            try? await backoff.wait()
        }
        state.withLock { $0.connected = false }
        connectivity.wake()
    }

    /// Once the master is up: the Podman socket forward, then every egress forward again.
    private func establish() async {
        let deadline = Monotonic.after(.seconds(15))
        while (try? await Subprocess.run(["ssh"] + options + ["-O", "check", destination.host]))?.succeeded != true {
            guard Monotonic.now() < deadline, !Task.isCancelled else { return }
            try? await Task.sleep(for: .milliseconds(30))
        }
        do {
            let runtime = try await resolveRuntime()
            let podman = configuredSocket ?? runtime + "/podman/podman.sock"
            try await control(["-O", "forward", "-L", "\(localSocket):\(podman)"])
            let (attempt, forwards) = state.withLock { state in
                state.attempt += 1
                return (state.attempt, Array(state.reverse.values))
            }
            for forward in forwards { try await applyReverse(forward, attempt: attempt) }
            state.withLock { state in
                state.connected = true
                state.connections += 1
                state.lastError = nil
            }
            connectivity.wake()
        } catch {
            state.withLock { $0.lastError = "\(error)" }
            _ = try? await Subprocess.run(["ssh"] + options + ["-O", "exit", destination.host])
        }
    }

    private func resolveRuntime() async throws -> String {
        if let known = remoteRuntime { return known }
        let text = String(try await command("printf %s \"${XDG_RUNTIME_DIR:-/run/user/$(id -u)}\"").trimmingSpaces)
        guard text.hasPrefix("/"), !text.contains("'") else { throw RunnerError.remote("the runner's runtime folder is '\(text)'") }
        state.withLock { $0.remoteRuntime = text }
        return text
    }

    /// Runs `text` with the SSH user's shell on the runner (through the master when it is up) and
    /// returns its standard output. Only Burrow's own commands, with checked paths, are ever run;
    /// `input`: a file of this host for its standard input.
    @discardableResult
    package func command(_ text: String, timeout: Duration = .seconds(30), input: String = "/dev/null") async throws -> String {
        let result = try await Subprocess.run(["ssh"] + options + [destination.host, text], timeout: timeout, input: input)
        guard result.succeeded else {
            throw RunnerError.remote("`\(text.prefix(120))` on \(destination.host) failed (exit \(result.status)): \(result.stderr.trimmingSpaces.suffix(400))")
        }
        return result.stdout
    }

    private func control(_ arguments: [String]) async throws {
        let result = try await Subprocess.run(["ssh"] + options + arguments + [destination.host], timeout: .seconds(30))
        guard result.succeeded else {
            throw RunnerError.remote("ssh \(arguments.joined(separator: " ")) failed (exit \(result.status)): \(result.stderr.trimmingSpaces.suffix(400))")
        }
    }

    /// A socket on the runner that leads to `local` on this host: sshd binds it at `listen`; `before`
    /// and `after` are Burrow's own commands run around each forward (see `RemoteEgressSocket`).
    struct ReverseForward: Sendable, Equatable {
        let listen: String
        let local: String
        let before: String
        let after: String
    }

    /// Puts `forward` in place, now and after every reconnection (one already there is replaced).
    func forwardRemote(_ forward: ReverseForward) async throws {
        await cancelRemote(forward.listen)
        state.withLock { $0.reverse[forward.listen] = forward }
        try await waitConnected()
        try await applyReverse(forward, attempt: state.withLock { $0.attempt })
    }

    func cancelRemote(_ listen: String) async {
        guard let forward = state.withLock({ state in
            state.placed[listen] = nil
            return state.reverse.removeValue(forKey: listen)
        }) else { return }
        if isConnected { try? await control(["-O", "cancel", "-R", "\(forward.listen):\(forward.local)"]) }
    }

    /// A socket here (`local`, in a private folder of Burrow's) that leads to `remote` on the runner,
    /// for as long as this master lives (a preview relay's: started again after a reconnection).
    func forwardLocal(_ local: String, to remote: String) async throws {
        try await control(["-O", "forward", "-L", "\(local):\(remote)"])
    }

    func cancelLocal(_ local: String, to remote: String) async {
        if isConnected { try? await control(["-O", "cancel", "-L", "\(local):\(remote)"]) }
    }

    /// The arguments that run `text` on the runner through the master (a long-lived companion's).
    func commandLine(_ text: String) -> [String] { ["ssh"] + options + [destination.host, text] }

    /// Once per master: a forward the reconnection already put back is not placed again (a second
    /// `-O forward` of the same path is a no-op for OpenSSH, and the socket has moved on).
    private func applyReverse(_ forward: ReverseForward, attempt: Int) async throws {
        let claimed = state.withLock { state in
            guard state.reverse[forward.listen] == forward, state.placed[forward.listen] != attempt else { return false }
            state.placed[forward.listen] = attempt
            return true
        }
        guard claimed else { return }
        do {
            try await place(forward)
        } catch {
            state.withLock { state in
                if state.placed[forward.listen] == attempt { state.placed[forward.listen] = nil }
            }
            throw error
        }
    }

    private func place(_ forward: ReverseForward) async throws {
        try await command(forward.before)
        try await control(["-O", "forward", "-R", "\(forward.listen):\(forward.local)"])
        do {
            try await command(forward.after)
        } catch {
            // Nothing half-placed stays listening: the forward is undone, the reason goes up.
            try? await control(["-O", "cancel", "-R", "\(forward.listen):\(forward.local)"])
            throw error
        }
    }
}

/// What went wrong with a runner, for the burrow's record and `doctor`.
public enum RunnerError: Error, CustomStringConvertible, Sendable {
    case unreachable(String)
    case remote(String)
    case gaveUp(runner: String, seconds: Int, reason: String)

    public var description: String {
        switch self {
        case .unreachable(let reason): "the runner is unreachable over SSH: \(reason)"
        case .remote(let reason): reason
        case .gaveUp(let runner, let seconds, let reason):
            "runner \(runner) was unreachable for \(seconds) s (runners[].reconnectSeconds): \(reason); the container may still be there, the work could not be brought home"
        }
    }
}
