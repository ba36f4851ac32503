import FoundationEssentials
import BurrowSystem
import BurrowPodman

/// Burrow's configuration. Every field has a default, so no file is needed; `burrow.example.json`
/// documents them all. Unknown fields are refused: a typo should not silently become a default.
public struct Config: Sendable, Equatable {
    public var listen = "127.0.0.1:7878"
    public var stateDir = "~/.local/state/burrow"
    public var allowRemote = false
    /// Extra `Host` values accepted besides the listen address, localhost and 127.0.0.1.
    public var allowedHosts: [String] = []
    /// Folder of the browser UI; empty means: find `Public/` beside the working directory or the binary.
    public var publicDir = ""
    public var podmanSocket = "auto"
    /// The agent image every burrow starts from.
    public var image = "localhost/burrow-agent:latest"
    /// The agent's command line; the task goes to its standard input (or, with `taskInput:
    /// "argument"`, is appended as the last argument).
    public var agentCommand = Config.defaultAgentCommand
    /// How the task and follow-up messages reach the agent: on stdin (never in a process's arguments,
    /// which every local user can read in `ps`) or as the last argument (for commands like `sh -c`).
    public var taskInput = TaskInput.stdin
    /// A follow-up turn's command: `{sessionID}` becomes the session to resume; the message is appended.
    public var resumeCommand = Config.defaultResumeCommand
    /// MCP servers handed to the agent (Claude Code's `mcpServers` shape), written into the burrow.
    public var mcpServers: [String: JSONValue] = [:]
    /// Untracked build junk left out of every result (names or globs at any depth).
    public var resultExclude = ResultExclude.defaults
    public var agentUser = "agent"
    public var env: [String: String] = [:]
    public var repos: [RepoConfig] = []
    public var caches: [CacheConfig] = CacheConfig.defaults
    public var gpuDevices = ["nvidia.com/gpu=all"]
    public var limits = LimitsConfig()
    public var maxConcurrent = 4
    public var network = NetworkConfig()
    public var credentials = CredentialsConfig()
    public var sandbox = SandboxConfig()
    /// The static `burrow-forwarder` mounted into burrows; empty: beside the `burrow` binary.
    public var forwarderPath = ""
    /// Model prices in USD per million tokens, over the built-in list prices (`ModelPrices.defaults`).
    public var prices: [String: ModelPrice] = [:]
    /// Every burrow's spending limit unless its repo or launch says otherwise.
    public var budget: Budget?
    /// Where burrows may run besides the local Podman (see `RunnerConfig`).
    public var runners: [RunnerConfig] = []
    /// Webhooks that launch burrows (`POST /hooks/{name}`).
    public var triggers: [TriggerConfig] = []

    public init() {}

    public var listenAddress: SocketAddress {
        get throws(ConfigError) {
            do { return try SocketAddress(parsing: listen) } catch {
                throw ConfigError(field: "listen", reason: error.description)
            }
        }
    }

    public var resolvedStateDir: String { Self.expandHome(stateDir) }

    package static func expandHome(_ path: String) -> String {
        if path == "~" { return FileSystem.homeDirectory }
        if path.hasPrefix("~/") { return FileSystem.homeDirectory + path.dropFirst(1) }
        return path
    }

    /// Checks what decoding cannot: values that parse but make no sense.
    public func validate() throws(ConfigError) {
        let address = try listenAddress
        if !address.isLoopback && !allowRemote {
            throw ConfigError(field: "listen", reason: "\(listen) is not a loopback address; Burrow launches agents with full rights inside their containers, so it listens on loopback only unless \"allowRemote\": true is set")
        }
        if stateDir.isEmpty { throw ConfigError(field: "stateDir", reason: "must not be empty") }
        if podmanSocket.isEmpty { throw ConfigError(field: "podmanSocket", reason: "use \"auto\" or a path") }
        if image.isEmpty { throw ConfigError(field: "image", reason: "must name an image, e.g. localhost/burrow-agent:latest") }
        try validateBurrowSettings()
        try validateResultExclude()
        try validateRunners()
    }
}

public struct ConfigError: Error, Equatable, CustomStringConvertible, Sendable {
    public let field: String
    public let reason: String
    public var file: String?

    public init(field: String, reason: String, file: String? = nil) {
        self.field = field
        self.reason = reason
        self.file = file
    }

    public var description: String {
        let place = file.map { " in \($0)" } ?? ""
        return field.isEmpty ? "invalid configuration\(place): \(reason)" : "invalid configuration\(place): field '\(field)': \(reason)"
    }
}

extension Config: Decodable {
    enum Key: String, CodingKey, CaseIterable {
        case listen, stateDir, allowRemote, allowedHosts, publicDir, podmanSocket, image
        case agentCommand, agentUser, env, repos, caches, gpuDevices, limits, maxConcurrent, network
        case credentials, sandbox, forwarderPath, resumeCommand, mcpServers, prices, budget, taskInput, runners, triggers, resultExclude
    }

    public init(from decoder: any Decoder) throws {
        try UnknownKeys.check(decoder, allowed: Key.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: Key.self)
        var config = Config()
        config.listen = try container.decodeIfPresent(String.self, forKey: .listen) ?? config.listen
        config.stateDir = try container.decodeIfPresent(String.self, forKey: .stateDir) ?? config.stateDir
        config.allowRemote = try container.decodeIfPresent(Bool.self, forKey: .allowRemote) ?? config.allowRemote
        config.allowedHosts = try container.decodeIfPresent([String].self, forKey: .allowedHosts) ?? config.allowedHosts
        config.publicDir = try container.decodeIfPresent(String.self, forKey: .publicDir) ?? config.publicDir
        config.podmanSocket = try container.decodeIfPresent(String.self, forKey: .podmanSocket) ?? config.podmanSocket
        config.image = try container.decodeIfPresent(String.self, forKey: .image) ?? config.image
        config.agentCommand = try container.decodeIfPresent([String].self, forKey: .agentCommand) ?? config.agentCommand
        config.agentUser = try container.decodeIfPresent(String.self, forKey: .agentUser) ?? config.agentUser
        config.env = try container.decodeIfPresent([String: String].self, forKey: .env) ?? config.env
        config.repos = try container.decodeIfPresent([RepoConfig].self, forKey: .repos) ?? config.repos
        config.caches = try container.decodeIfPresent([CacheConfig].self, forKey: .caches) ?? config.caches
        config.gpuDevices = try container.decodeIfPresent([String].self, forKey: .gpuDevices) ?? config.gpuDevices
        config.limits = try container.decodeIfPresent(LimitsConfig.self, forKey: .limits) ?? config.limits
        config.maxConcurrent = try container.decodeIfPresent(Int.self, forKey: .maxConcurrent) ?? config.maxConcurrent
        config.network = try container.decodeIfPresent(NetworkConfig.self, forKey: .network) ?? config.network
        config.credentials = try container.decodeIfPresent(CredentialsConfig.self, forKey: .credentials) ?? config.credentials
        config.sandbox = try container.decodeIfPresent(SandboxConfig.self, forKey: .sandbox) ?? config.sandbox
        config.forwarderPath = try container.decodeIfPresent(String.self, forKey: .forwarderPath) ?? config.forwarderPath
        config.resumeCommand = try container.decodeIfPresent([String].self, forKey: .resumeCommand) ?? config.resumeCommand
        config.mcpServers = try container.decodeIfPresent([String: JSONValue].self, forKey: .mcpServers) ?? config.mcpServers
        config.prices = try container.decodeIfPresent([String: ModelPrice].self, forKey: .prices) ?? config.prices
        config.budget = try container.decodeIfPresent(Budget.self, forKey: .budget) ?? config.budget
        config.taskInput = try container.decodeIfPresent(TaskInput.self, forKey: .taskInput) ?? config.taskInput
        config.runners = try container.decodeIfPresent([RunnerConfig].self, forKey: .runners) ?? config.runners
        config.triggers = try container.decodeIfPresent([TriggerConfig].self, forKey: .triggers) ?? config.triggers
        config.resultExclude = try container.decodeIfPresent([String].self, forKey: .resultExclude) ?? config.resultExclude
        self = config
    }
}

/// Refuses keys a decodable type does not know, naming them.
enum UnknownKeys {
    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    static func check(_ decoder: any Decoder, allowed: [String]) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        if let unknown = container.allKeys.first(where: { !allowed.contains($0.stringValue) }) {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath + [unknown],
                debugDescription: "unknown field (known: \(allowed.joined(separator: ", ")))"))
        }
    }
}

/// How a burrow's agent receives its task and follow-up messages.
public enum TaskInput: String, Codable, Sendable, Equatable {
    /// On standard input (`claude -p` with no prompt argument reads it there).
    case stdin
    /// As the last argument (`sh -c SCRIPT`, agents that take no stdin).
    case argument
}
