import BurrowSystem
import BurrowPodman

/// How burrows reach the network. `allowlist` (default): no network of their own, only Burrow's
/// egress proxy, which lets through the hosts in `allow`. `open`: Podman's rootless network, no
/// filter. `none`: nothing at all.
public struct NetworkConfig: Sendable, Equatable {
    public enum Mode: String, Sendable, Codable { case allowlist, open, none }

    public var mode = Mode.allowlist
    /// Exact hosts, `*.suffix` (any subdomain), with `:port` for a port other than 80 and 443.
    public var allow = NetworkConfig.defaultAllow
    /// Names the proxy resolves to fixed addresses instead of asking DNS (internal mirrors, tests).
    public var resolve: [String: String] = [:]
    /// Per burrow: proxy connections open at once; more are refused (a `denied` net event).
    public var maxConnections = 256
    /// Per connection: seconds to send a complete request head.
    public var headerTimeoutSeconds = 30
    /// Per connection: seconds with no byte moving before it is cut off.
    public var idleTimeoutSeconds = 600
    /// A host not on the allowlist: `deny` at once, or `ask` a person on the page (see `AskDesk`).
    public var unlisted = UnlistedHosts.deny
    /// With `ask`: how long a request waits for an answer before it is denied.
    public var askSeconds = 30
    /// Host pattern → `METHOD /path-glob` entries; connections to these hosts are intercepted (TLS
    /// ended by the burrow's own CA) and each request checked. See `NetworkRules`.
    public var rules = NetworkConfig.defaultRules
    /// PEM files of CAs the proxy trusts upstream besides the host's store (internal mirrors).
    public var extraCAs: [String] = []

    public init(mode: Mode = .allowlist) { self.mode = mode }

    public static let defaultAllow = [
        // Not the model's API (Burrow's model endpoint is the way to it), telemetry (*.sentry.io,
        // statsig) or a general file store (storage.googleapis.com): any account's key works there,
        // so each would carry data out (README, threat model).
        // Code hosts.
        "github.com", "*.github.com", "*.githubusercontent.com", "gitlab.com", "*.gitlab.com", "bitbucket.org",
        // Package registries and mirrors.
        "registry.npmjs.org", "registry.yarnpkg.com", "nodejs.org",
        "pypi.org", "files.pythonhosted.org",
        "crates.io", "static.crates.io", "index.crates.io",
        "proxy.golang.org", "sum.golang.org",
        "deb.debian.org", "security.debian.org", "archive.ubuntu.com", "security.ubuntu.com",
        "huggingface.co", "*.huggingface.co", "*.hf.co",
    ]
}

extension NetworkConfig: Decodable {
    enum Key: String, CodingKey, CaseIterable { case mode, allow, resolve, maxConnections, headerTimeoutSeconds, idleTimeoutSeconds, unlisted, askSeconds
        case rules, extraCAs }

    /// Also accepts a bare string, the mode alone: `"network": "none"`.
    public init(from decoder: any Decoder) throws {
        if let mode = try? decoder.singleValueContainer().decode(Mode.self) {
            self.init(mode: mode)
            return
        }
        try UnknownKeys.check(decoder, allowed: Key.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: Key.self)
        self.init(mode: try container.decodeIfPresent(Mode.self, forKey: .mode) ?? .allowlist)
        allow = try container.decodeIfPresent([String].self, forKey: .allow) ?? allow
        resolve = try container.decodeIfPresent([String: String].self, forKey: .resolve) ?? resolve
        rules = try container.decodeIfPresent([String: [String]].self, forKey: .rules) ?? rules
        extraCAs = try container.decodeIfPresent([String].self, forKey: .extraCAs) ?? extraCAs
        maxConnections = try Self.positive(container, .maxConnections) ?? maxConnections
        headerTimeoutSeconds = try Self.positive(container, .headerTimeoutSeconds) ?? headerTimeoutSeconds
        idleTimeoutSeconds = try Self.positive(container, .idleTimeoutSeconds) ?? idleTimeoutSeconds
        unlisted = try container.decodeIfPresent(UnlistedHosts.self, forKey: .unlisted) ?? unlisted
        askSeconds = try container.decodeIfPresent(Int.self, forKey: .askSeconds) ?? askSeconds
    }

    private static func positive(_ container: KeyedDecodingContainer<Key>, _ key: Key) throws -> Int? {
        guard let value = try container.decodeIfPresent(Int.self, forKey: key) else { return nil }
        guard value > 0 else { throw ConfigError(field: "network.\(key.rawValue)", reason: "must be a positive whole number, not \(value)") }
        return value
    }
}

/// Where Burrow finds the real credential; it never enters a container.
public struct CredentialsConfig: Codable, Sendable, Equatable {
    public struct Source: Codable, Sendable, Equatable {
        /// An environment variable of the Burrow process holding the key or token.
        public var env: String?
        /// A file holding it (first line).
        public var file: String?
        /// Server tools the model endpoint lets requests use (`web_search`, `web_fetch`,
        /// `code_execution`, `mcp`, …) with the betas they need; default none (`ServerTools`).
        public var serverTools: [String]?

        public init(env: String? = nil, file: String? = nil, serverTools: [String]? = nil) {
            self.env = env
            self.file = file
            self.serverTools = serverTools
        }
    }

    public var anthropic: Source?
    /// Where the model endpoint forwards to.
    public var upstream: String?
    /// `METHOD /path` entries the model endpoint forwards (`*` for one id segment); default
    /// `ModelRoutes.defaultRoutes`: what Claude Code calls.
    public var allowedRoutes: [String]?
    /// Secrets for other services, presented by the egress proxy in place of a placeholder.
    public var services: [ServiceCredential]?

    public init(anthropic: Source? = nil, upstream: String? = nil, allowedRoutes: [String]? = nil) {
        self.anthropic = anthropic
        self.upstream = upstream
        self.allowedRoutes = allowedRoutes
    }

    public var resolvedUpstream: String { upstream ?? "https://api.anthropic.com" }
}

/// Hardening choices that depend on the image.
public struct SandboxConfig: Codable, Sendable, Equatable {
    /// Mount the image's root filesystem read-only (the workspace, caches and /tmp stay writable).
    public var readOnlyRoot: Bool?
    /// Let the agent become root inside the burrow (sudo in the image) for package managers.
    public var allowRoot: Bool?
    /// Let the agent create nested user namespaces (`unshare -U`, rootless tools in the burrow);
    /// blocked by a seccomp rule unless true.
    public var allowNestedNamespaces: Bool?
    /// Let the agent run Podman (and `docker`) inside its burrow (see `NestedContainers`); a repo's
    /// `nestedContainers` overrides it.
    public var nestedContainers: Bool?
    /// `perBurrow` (default): each burrow in its own range of the Podman user's subordinate ids;
    /// `shared`: every burrow in Podman's default user namespace (when the subordinate range is too small).
    public var userNamespace: UserNamespaceMode?
    /// The size of each burrow's id range (more than the image's highest uid and gid, nobody aside).
    public var idsPerBurrow: Int?
    /// How many ranges burrows use at most: each costs, once, a copy of the agent image chowned for it
    /// and a workspace template per repo. Beyond this, a burrow shares a range with one not running.
    public var idRanges: Int?
    /// After a burrow of a repo starts in its own range, make the range its next burrow would get
    /// ready in the background (the repo's workspace template and the image chowned for it), unless
    /// a free range is ready already: a second burrow of a large repo then starts as fast as the first
    /// of a small one. Costs one more template's disk per repo. Default true.
    public var prepareNextRange: Bool?
    /// At most this many free ranges are kept ready per repo: as many as the repo's burrows took
    /// ranges in the last 10 minutes (a group's attempts share one). Default 2.
    public var readyRanges: Int?

    public enum UserNamespaceMode: String, Codable, Sendable { case perBurrow, shared }

    public init(readOnlyRoot: Bool? = nil, allowRoot: Bool? = nil, allowNestedNamespaces: Bool? = nil,
                userNamespace: UserNamespaceMode? = nil, idsPerBurrow: Int? = nil, idRanges: Int? = nil, prepareNextRange: Bool? = nil) {
        self.readOnlyRoot = readOnlyRoot
        self.allowRoot = allowRoot
        self.allowNestedNamespaces = allowNestedNamespaces
        self.userNamespace = userNamespace
        self.idsPerBurrow = idsPerBurrow
        self.idRanges = idRanges
        self.prepareNextRange = prepareNextRange
    }

    public var perBurrowIDs: Bool { (userNamespace ?? .perBurrow) == .perBurrow }
    public var resolvedIDsPerBurrow: Int { idsPerBurrow ?? BurrowIDRanges.defaultSize }
    public var resolvedIDRanges: Int { idRanges ?? BurrowIDRanges.defaultRanges }
    public var preparesNextRange: Bool { perBurrowIDs && prepareNextRange ?? true }
    public var resolvedReadyRanges: Int { readyRanges ?? 2 }
}
