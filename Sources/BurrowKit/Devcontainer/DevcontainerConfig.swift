import BurrowSystem
import BurrowPodman

/// The parts of a devcontainer.json (containers.dev spec) that Burrow honours headless. Everything else
/// the file sets is named in `unsupported`, so the record can say what was not applied.
public struct DevcontainerConfig: Sendable, Equatable {
    public struct Build: Sendable, Equatable {
        /// Relative to the folder holding devcontainer.json, as the spec says.
        public var dockerfile: String
        /// Relative to the folder holding devcontainer.json; "." when absent.
        public var context: String
        public var args: [String: String]
        public var target: String?
    }

    public var name: String?
    public var image: String?
    public var build: Build?
    public var containerEnv: [String: String] = [:]
    public var remoteUser: String?
    public var containerUser: String?
    public var onCreateCommand: DevcontainerCommand?
    public var updateContentCommand: DevcontainerCommand?
    public var postCreateCommand: DevcontainerCommand?
    /// Keys Burrow does not apply, as written (`forwardPorts`, `build.cacheFrom`, …), in file order.
    public var unsupported: [String] = []

    /// The commands to run once in the sandbox before the agent, in the spec's lifecycle order:
    /// onCreate, updateContent, postCreate.
    public var setupCommands: [[String]] {
        [onCreateCommand, updateContentCommand, postCreateCommand].flatMap { $0?.argumentLists ?? [] }
    }

    /// The user the spec's tools would run as: `remoteUser`, else `containerUser`; nil for root
    /// (Burrow never runs the agent as root: its `agentUser` stays, and `unsupported` says so).
    public var user: String? {
        guard let user = remoteUser ?? containerUser, !Self.isRoot(user) else { return nil }
        return user
    }

    static func isRoot(_ user: String) -> Bool { user == "root" || user == "0" || user.hasPrefix("root:") || user.hasPrefix("0:") }

    static let topLevelKeys: Set<String> = [
        "name", "image", "build", "dockerFile", "context", "containerEnv", "remoteUser", "containerUser",
        "onCreateCommand", "updateContentCommand", "postCreateCommand",
    ]
    static let buildKeys: Set<String> = ["dockerfile", "context", "args", "target"]

    /// Parses a devcontainer.json. `file` names it in errors; `workspaceFolder` replaces
    /// `${containerWorkspaceFolder}` (the only variables Burrow substitutes: nothing of the host's).
    public static func parse(_ bytes: [UInt8], file: String, workspaceFolder: String = "/workspace",
                             limits: JSONC.Limits = JSONC.Limits()) throws(DevcontainerError) -> DevcontainerConfig {
        let root: JSONC.Value
        do {
            root = try JSONC.parse(bytes, limits: limits)
        } catch {
            throw .syntax(file: file, error)
        }
        guard case .object(let members) = root else {
            throw .invalid(file: file, key: "(top level)", reason: "is \(root.typeName); a devcontainer.json holds an object")
        }
        let reader = DevcontainerReader(file: file, workspaceFolder: workspaceFolder)
        var config = DevcontainerConfig()
        for (key, value) in members {
            switch key {
            case "name": config.name = try reader.string(value, key)
            case "image": config.image = try reader.string(value, key)
            case "build": config.build = try reader.build(value, unsupported: &config.unsupported)
            case "containerEnv": config.containerEnv = try reader.environment(value, key, unsupported: &config.unsupported)
            case "remoteUser": config.remoteUser = try reader.string(value, key)
            case "containerUser": config.containerUser = try reader.string(value, key)
            case "onCreateCommand": config.onCreateCommand = try reader.command(value, key, unsupported: &config.unsupported)
            case "updateContentCommand": config.updateContentCommand = try reader.command(value, key, unsupported: &config.unsupported)
            case "postCreateCommand": config.postCreateCommand = try reader.command(value, key, unsupported: &config.unsupported)
            case "dockerFile", "context": break
            default: config.unsupported.append(key)
            }
        }
        // The spec's older spelling: top-level "dockerFile" and "context".
        if config.build == nil, let legacy = root["dockerFile"] {
            let context = try root["context"].map { value throws(DevcontainerError) in try reader.string(value, "context") } ?? "."
            config.build = Build(dockerfile: try reader.string(legacy, "dockerFile"), context: context, args: [:], target: nil)
        }
        if let build = config.build, build.dockerfile.isEmpty {
            throw .invalid(file: file, key: "build.dockerfile", reason: "is empty")
        }
        if config.image == nil && config.build == nil {
            let detail = root["dockerComposeFile"] != nil ? "Docker Compose devcontainers (dockerComposeFile) are not supported" : "it sets neither"
            throw .noImage(file: file, detail: detail)
        }
        if let image = config.image, image.isEmpty { throw .invalid(file: file, key: "image", reason: "is empty") }
        if let user = config.remoteUser ?? config.containerUser, isRoot(user) {
            config.unsupported.append("\(config.remoteUser != nil ? "remoteUser" : "containerUser") \(user) (the agent never runs as root; agentUser is used)")
        }
        return config
    }
}
