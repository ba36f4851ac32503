import BurrowSystem
import BurrowPodman

/// One place burrows run: the local Podman (`"name": "local"`, no `ssh`), or a remote user's rootless
/// Podman reached over SSH (`"ssh": "user@host[:port]"`). Burrow refuses unknown host keys: the
/// runner's key comes with it, as `hostKey` (`"ssh-ed25519 AAAA…"`) or a `knownHostsFile`.
public struct RunnerConfig: Codable, Sendable, Equatable {
    public static let localName = "local"

    public var name: String
    /// `user@host` or `user@host:port`; nil for the local runner.
    public var ssh: String?
    public var identityFile: String?
    public var hostKey: String?
    public var knownHostsFile: String?
    /// The remote Podman's API socket; `auto`: `$XDG_RUNTIME_DIR/podman/podman.sock` of the SSH user.
    public var podmanSocket: String?
    /// A folder on the runner for Burrow's sockets and seccomp profile; default `<runtime dir>/burrow`.
    public var remoteDir: String?
    /// `gpu` and any tags; the local runner has `gpu` unless it is configured without.
    public var labels: [String]?
    public var maxConcurrent: Int?
    /// Repos that may run here; nil: all.
    public var repos: [String]?
    /// How long a burrow waits for an unreachable runner before it ends failed.
    public var reconnectSeconds: Int?

    public init(name: String, ssh: String? = nil) {
        self.name = name
        self.ssh = ssh
    }

    public var isLocal: Bool { ssh == nil }

    /// The SSH destination, checked: a user, a host and a port, none of them able to smuggle an option.
    public func destination() throws(ConfigError) -> SSHDestination? {
        guard let ssh else { return nil }
        guard let destination = SSHDestination(parsing: ssh) else {
            throw ConfigError(field: "runners.\(name).ssh", reason: "'\(ssh)' is not user@host or user@host:port")
        }
        return destination
    }

    func validate(index: Int, repos known: [String]) throws(ConfigError) {
        let field = "runners[\(index)]"
        guard Config.isSafeName(name) else { throw ConfigError(field: field + ".name", reason: "use letters, digits, '.', '_' or '-'") }
        if let maxConcurrent, maxConcurrent < 1 { throw ConfigError(field: field + ".maxConcurrent", reason: "must be at least 1") }
        if let reconnectSeconds, reconnectSeconds < 1 { throw ConfigError(field: field + ".reconnectSeconds", reason: "must be at least 1") }
        for repo in repos ?? [] where !known.contains(repo) {
            throw ConfigError(field: field + ".repos", reason: "'\(repo)' is not a configured repo")
        }
        if isLocal {
            guard name == Self.localName else {
                throw ConfigError(field: field + ".ssh", reason: "a runner other than \"local\" needs \"ssh\": \"user@host[:port]\"")
            }
            for key in [identityFile, hostKey, knownHostsFile, podmanSocket, remoteDir] where key != nil {
                throw ConfigError(field: field, reason: "the local runner takes only labels, maxConcurrent and repos (it uses podmanSocket)")
            }
            return
        }
        guard name != Self.localName else { throw ConfigError(field: field + ".name", reason: "\"local\" is the local Podman: give the remote runner another name") }
        _ = try destination()
        guard identityFile?.isEmpty == false else {
            throw ConfigError(field: field + ".identityFile", reason: "name the private key Burrow logs in with (made for Burrow: ssh-keygen -t ed25519 -f ~/.config/burrow/\(name)_ed25519)")
        }
        guard (hostKey == nil) != (knownHostsFile == nil) else {
            throw ConfigError(field: field + ".hostKey", reason: "give exactly one of hostKey (\"ssh-ed25519 AAAA…\", from: ssh-keyscan -p PORT HOST) or knownHostsFile; Burrow never accepts an unknown host key")
        }
        if let hostKey, !SSHDestination.isHostKey(hostKey) {
            throw ConfigError(field: field + ".hostKey", reason: "must be 'TYPE BASE64' as in a known_hosts line, e.g. ssh-ed25519 AAAA…")
        }
        for path in [podmanSocket, remoteDir].compactMap({ $0 }) where path != "auto" && (!path.hasPrefix("/") || path.contains("'")) {
            throw ConfigError(field: field, reason: "'\(path)' must be an absolute path on the runner without quotes")
        }
    }
}

extension Config {
    /// Every runner, the local one first (made from `maxConcurrent` when not configured).
    public var allRunners: [RunnerConfig] {
        var local = runners.first(where: \.isLocal) ?? RunnerConfig(name: RunnerConfig.localName)
        local.labels = local.labels ?? ["gpu"]
        local.maxConcurrent = local.maxConcurrent ?? maxConcurrent
        return [local] + runners.filter { !$0.isLocal }
    }

    func validateRunners() throws(ConfigError) {
        var names = Set<String>()
        for (index, runner) in runners.enumerated() {
            try runner.validate(index: index, repos: repos.map(\.name))
            guard names.insert(runner.name).inserted else {
                throw ConfigError(field: "runners[\(index)].name", reason: "'\(runner.name)' is used twice")
            }
        }
    }
}
