import BurrowSystem
import BurrowPodman

/// A place burrows run, as the manager sees it: its configuration, the Podman client that reaches
/// it, and for a remote one its SSH side and its own crossing (a store and workspace templates of
/// its own: a template image lives in one Podman).
package final class Runner: Sendable {
    let config: RunnerConfig
    package let podman: PodmanClient
    /// nil for the local runner, whose crossing is the manager's own.
    let crossing: Crossing?
    package let remote: RemoteRunner?

    var name: String { config.name }
    var maxConcurrent: Int { config.maxConcurrent ?? 4 }
    var reachable: Bool { remote?.tunnel.isConnected ?? true }

    init(local config: RunnerConfig, podman: PodmanClient) {
        self.config = config
        self.podman = podman
        crossing = nil
        remote = nil
    }

    /// A remote runner: its folder under the state dir holds the SSH sockets, its known_hosts file
    /// and its repository store. Nothing connects until its owner calls `start()`.
    package init(remote config: RunnerConfig, stateDir: String, labels: [String: String]) throws {
        guard let destination = try config.destination(), let identity = config.identityFile else {
            throw ConfigError(field: "runners.\(config.name)", reason: "a remote runner needs ssh and identityFile")
        }
        let folder = stateDir + "/runners/" + config.name
        try FileSystem.createDirectories(folder, mode: 0o700)
        FileSystem.setMode(folder, 0o700)
        var knownHosts = config.knownHostsFile.map(Config.expandHome) ?? folder + "/known_hosts"
        if let key = config.hostKey {
            knownHosts = folder + "/known_hosts"
            try FileSystem.writeAtomically(Array((destination.knownHostsLine(key: key) + "\n").utf8), to: knownHosts, mode: 0o600)
        }
        let tunnel = SSHTunnel(destination: destination, identityFile: Config.expandHome(identity), knownHostsFile: knownHosts,
                               folder: folder, podmanSocket: config.podmanSocket)
        self.config = config
        podman = PodmanClient(socketPath: tunnel.localSocket, runner: "\(config.name) (ssh \(destination.user)@\(destination.host):\(destination.port))")
        var crossing = try Crossing(podman: podman, stateDir: folder, labels: labels)
        crossing.readsWorkspaceLayers = false  // its storage is on the runner, out of this host's sight
        self.crossing = crossing
        remote = RemoteRunner(name: config.name, tunnel: tunnel, remoteDir: config.remoteDir)
    }

    /// Starts a remote runner's connection, kept up from then on until `remote.tunnel.shutdown()`.
    package func start() { remote?.tunnel.start() }

    /// Who may connect to a burrow's egress socket on this host: for a remote burrow only the SSH
    /// client carrying its forward, which runs as Burrow's own user.
    func peers(localPodman: PodmanClient) -> BurrowPeers {
        remote == nil ? BurrowPeers.forPodman(socketPath: localPodman.socketPath) : BurrowPeers.burrowOnly
    }

    /// Past `reconnectSeconds` without the runner, a burrow waiting for it gives up.
    func checkPatience(since start: UInt64) throws {
        guard let remote else { return }
        let seconds = config.reconnectSeconds ?? 300
        if Monotonic.now() - start > UInt64(seconds) * 1_000_000_000 {
            throw RunnerError.gaveUp(runner: name, seconds: seconds, reason: remote.tunnel.lastError ?? "no answer")
        }
    }
}

extension BurrowPeers {
    static var burrowOnly: BurrowPeers {
        let uid = FileSystem.userID
        return BurrowPeers(uids: [uid...uid])
    }
}
