import BurrowSystem
import BurrowPodman

/// The parts of the configuration that shape a burrow: what runs, where, with what shared.
public struct RepoConfig: Codable, Sendable, Equatable {
    public var name: String
    public var path: String?
    public var url: String?
    public var ref: String?
    public var image: String?
    public var gpu: Bool?
    /// Over `sandbox.nestedContainers` for this repo's burrows.
    public var nestedContainers: Bool?
    public var env: [String: String]?
    public var caches: [CacheConfig]?
    /// Hosts this repo's burrows may reach besides `network.allow`.
    public var allow: [String]?
    /// This repo's burrows' `network.unlisted` and `network.askSeconds`, over the global ones.
    public var unlisted: UnlistedHosts?
    public var askSeconds: Int?
    /// Request rules for this repo's burrows, added to `network.rules` (see `NetworkRules`).
    public var rules: [String: [String]]?
    /// Names of `credentials.services` this repo's burrows get (nil: all of them; `[]`: none).
    public var credentialServices: [String]?
    /// MCP servers for this repo's burrows, added to the global ones.
    public var mcpServers: [String: JSONValue]?
    /// This repo's burrows' spending limit, over the global `budget`.
    public var budget: Budget?
    /// Launch from the repo's devcontainer.json (`true`, or a path in the repo); off when absent.
    public var devcontainer: DevcontainerSetting?
    /// Untracked build junk left out of this repo's results, besides the global `resultExclude`.
    public var resultExclude: [String]?
    /// Run after each agent turn in the burrow's sandbox (see `CheckCommand`); its bounds below.
    public var check: CheckCommand?
    public var checkTimeoutSeconds: Int?
    public var checkRetries: Int?

    public init(name: String, path: String? = nil, url: String? = nil) {
        self.name = name
        self.path = path
        self.url = url
    }

    /// Where `git clone` reads from.
    public var source: String { path.map(Config.expandHome) ?? url ?? "" }
}

public struct CacheConfig: Codable, Sendable, Equatable {
    /// Who shares a cache's volume. A burrow can rewrite anything in a cache it mounts (a wheel, a
    /// crate) for the next burrow to run: `repo` keeps that within the repo's own burrows.
    public enum Scope: String, Codable, Sendable { case repo, global }

    public var name: String
    public var path: String
    /// `repo` (default): one volume per repo; `global`: one volume for every repo's burrows.
    public var scope: Scope?

    public init(name: String, path: String, scope: Scope? = nil) {
        self.name = name
        self.path = path
        self.scope = scope
    }

    public var resolvedScope: Scope { scope ?? .repo }

    /// Stable, so a second burrow (of the repo, or of any repo when global) reuses what the first downloaded.
    public func volumeName(repo: String) -> String {
        resolvedScope == .global ? "burrow-cache-\(name)" : "burrow-cache-\(name)-repo-\(repo)"
    }

    /// Marks the volume as a cache (never an orphan) and, for a repo's, whose.
    public func labels(repo: String) -> [String: String] {
        resolvedScope == .global ? ["io.burrow.cache": name] : ["io.burrow.cache": name, "io.burrow.cache-repo": repo]
    }

    public static let defaults: [CacheConfig] = [
        CacheConfig(name: "npm", path: "/home/agent/.npm"),
        CacheConfig(name: "pip", path: "/home/agent/.cache/pip"),
        CacheConfig(name: "uv", path: "/home/agent/.cache/uv"),
        CacheConfig(name: "cargo", path: "/home/agent/.cargo/registry"),
        CacheConfig(name: "go", path: "/home/agent/go/pkg/mod"),
        CacheConfig(name: "huggingface", path: "/home/agent/.cache/huggingface"),
    ]
}

extension Config {
    /// `--include-partial-messages`: text deltas (`stream_event` lines) as they arrive, for the transcript.
    static let defaultAgentCommand = ["claude", "--dangerously-skip-permissions", "--output-format", "stream-json", "--verbose",
                                      "--include-partial-messages", "-p"]
    static let defaultResumeCommand = ["claude", "--dangerously-skip-permissions", "--output-format", "stream-json", "--verbose",
                                       "--include-partial-messages", "--resume", "{sessionID}", "-p"]

    func validateBurrowSettings() throws(ConfigError) {
        if agentCommand.isEmpty { throw ConfigError(field: "agentCommand", reason: "must name a program") }
        if resumeCommand.isEmpty { throw ConfigError(field: "resumeCommand", reason: "must name a program") }
        if agentUser.isEmpty || agentUser == "root" || agentUser == "0" {
            throw ConfigError(field: "agentUser", reason: "must be a non-root user: Claude Code refuses --dangerously-skip-permissions as root")
        }
        if maxConcurrent < 1 { throw ConfigError(field: "maxConcurrent", reason: "must be at least 1") }
        if let size = sandbox.idsPerBurrow, !(BurrowIDRanges.minimumSize...BurrowIDRanges.maximumSize).contains(size) {
            throw ConfigError(field: "sandbox.idsPerBurrow",
                              reason: "must be from \(BurrowIDRanges.minimumSize) to \(BurrowIDRanges.maximumSize) (more than the image's highest uid), not \(size)")
        }
        if let count = sandbox.idRanges, count < 1 { throw ConfigError(field: "sandbox.idRanges", reason: "must be at least 1, not \(count)") }
        if let count = sandbox.readyRanges, count < 1 { throw ConfigError(field: "sandbox.readyRanges", reason: "must be at least 1, not \(count)") }
        let everyEnv = repos.reduce(into: env) { merged, repo in merged.merge(repo.env ?? [:], uniquingKeysWith: { $1 }) }
        for name in everyEnv.keys where SandboxLayout.secretNames.contains(name) {
            throw ConfigError(field: "env", reason: "\(name) would carry a real credential into burrows; name its source in credentials.anthropic instead (burrows get a placeholder and Burrow adds the real key on the way out)")
        }
        for pattern in network.allow + repos.flatMap({ $0.allow ?? [] }) where HostPattern(pattern) == nil {
            throw ConfigError(field: "network.allow", reason: "'\(pattern)' is not a host, *.suffix or host:port")
        }
        try validateAsking()
        _ = try NetworkRules([network.rules] + repos.compactMap(\.rules))
        for (index, service) in (credentials.services ?? []).enumerated() { try service.validate("credentials.services[\(index)]") }
        let serviceNames = Set((credentials.services ?? []).map(\.name))
        for (index, repo) in repos.enumerated() {
            if let unknown = repo.credentialServices?.first(where: { !serviceNames.contains($0) }) {
                throw ConfigError(field: "repos[\(index)].credentialServices", reason: "'\(unknown)' is not the name of one of credentials.services")
            }
        }
        for path in network.extraCAs where !path.hasPrefix("/") {
            throw ConfigError(field: "network.extraCAs", reason: "'\(path)' must be an absolute path to a PEM file")
        }
        for (name, address) in network.resolve where !SocketAddress.isIPv4(address) && !SocketAddress.isIPv6(address) {
            throw ConfigError(field: "network.resolve", reason: "'\(name)' must map to an IP address, not '\(address)'")
        }
        if let source = credentials.anthropic, (source.env == nil) == (source.file == nil) {
            throw ConfigError(field: "credentials.anthropic", reason: "give exactly one of \"env\" or \"file\"")
        }
        if let upstream = credentials.upstream, !upstream.hasPrefix("https://") && !upstream.hasPrefix("http://") {
            throw ConfigError(field: "credentials.upstream", reason: "must be an http(s) URL")
        }
        try validateModelSettings()
        try limits.validate()
        var names = Set<String>()
        for (index, repo) in repos.enumerated() {
            let field = "repos[\(index)]"
            guard Self.isSafeName(repo.name) else { throw ConfigError(field: field + ".name", reason: "use letters, digits, '.', '_' or '-'") }
            guard names.insert(repo.name).inserted else { throw ConfigError(field: field + ".name", reason: "'\(repo.name)' is used twice") }
            guard (repo.path == nil) != (repo.url == nil) else { throw ConfigError(field: field, reason: "give exactly one of \"path\" or \"url\"") }
            if let problem = repo.devcontainer?.problem { throw ConfigError(field: field + ".devcontainer", reason: problem) }
            try repo.validateCheck(field: field)
            for cache in repo.caches ?? [] where !Self.isSafeName(cache.name) {
                throw ConfigError(field: field + ".caches", reason: "cache name '\(cache.name)': use letters, digits, '.', '_' or '-'")
            }
        }
        for cache in caches where !Self.isSafeName(cache.name) || !cache.path.hasPrefix("/") {
            throw ConfigError(field: "caches", reason: "cache '\(cache.name)' needs a simple name and an absolute path")
        }
        try checkCacheVolumesDistinct()
        try validateTriggers()
    }

    /// Names are joined into volume names: two caches must not meet in one volume by accident
    /// (a repo-scoped cache "a" of repo "b-repo-c" and cache "a-repo-b" of repo "c").
    private func checkCacheVolumesDistinct() throws(ConfigError) {
        var owners: [String: String] = [:]
        for repo in repos {
            for cache in caches + (repo.caches ?? []) {
                let owner = cache.resolvedScope == .global ? "global cache '\(cache.name)'" : "cache '\(cache.name)' of repo '\(repo.name)'"
                if let other = owners.updateValue(owner, forKey: cache.volumeName(repo: repo.name)), other != owner {
                    throw ConfigError(field: "caches", reason: "\(other) and \(owner) would share one volume; rename one")
                }
            }
        }
    }

    static func isSafeName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64 && name.utf8.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        } && !name.hasPrefix(".")
    }

    public func repo(named name: String) -> RepoConfig? { repos.first { $0.name == name } }
}
