import FoundationEssentials
import BurrowSystem
import BurrowPodman

/// A lifecycle command as devcontainer.json writes it.
public indirect enum DevcontainerCommand: Sendable, Equatable {
    /// A string: run with `/bin/sh -c`.
    case shell(String)
    /// An array: run as is, no shell.
    case exec([String])
    /// An object of named commands (each a string or an array). The spec runs them in parallel;
    /// Burrow runs them one after another in the order the file lists them, so output stays readable
    /// and a failure names one command.
    case named([Named])

    public struct Named: Sendable, Equatable {
        public let name: String
        public let command: DevcontainerCommand
    }

    /// The argument lists to run, in order (an empty shell string runs nothing).
    public var argumentLists: [[String]] {
        switch self {
        case .shell(let script): script.allSatisfy(\.isWhitespace) ? [] : [["/bin/sh", "-c", script]]
        case .exec(let arguments): [arguments]
        case .named(let commands): commands.flatMap(\.command.argumentLists)
        }
    }
}

/// Reads typed values out of a parsed devcontainer.json, with errors naming the key.
struct DevcontainerReader {
    let file: String
    let workspaceFolder: String

    /// Names Burrow sets itself in every burrow (proxy, credentials placeholder, Claude's state):
    /// a devcontainer may not replace them.
    static let reservedEnvironment: Set<String> = SandboxLayout.secretNames.union([
        "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy",
        "ANTHROPIC_BASE_URL", "CLAUDE_CONFIG_DIR",
    ])

    func string(_ value: JSONC.Value, _ key: String) throws(DevcontainerError) -> String {
        guard case .string(let text) = value else { throw .invalid(file: file, key: key, reason: "is \(value.typeName); expected a string") }
        guard !text.utf8.contains(0) else { throw .invalid(file: file, key: key, reason: "contains a NUL character") }
        return text
    }

    func build(_ value: JSONC.Value, unsupported: inout [String]) throws(DevcontainerError) -> DevcontainerConfig.Build {
        guard case .object(let members) = value else { throw .invalid(file: file, key: "build", reason: "is \(value.typeName); expected an object") }
        guard let dockerfile = value["dockerfile"] else { throw .invalid(file: file, key: "build", reason: "has no \"dockerfile\"") }
        var build = DevcontainerConfig.Build(dockerfile: try string(dockerfile, "build.dockerfile"), context: ".", args: [:], target: nil)
        if let context = value["context"] { build.context = try string(context, "build.context") }
        if let target = value["target"] { build.target = try string(target, "build.target") }
        if let args = value["args"] { build.args = try stringMap(args, "build.args") }
        unsupported += members.map(\.key).filter { !DevcontainerConfig.buildKeys.contains($0) }.map { "build." + $0 }
        return build
    }

    func environment(_ value: JSONC.Value, _ key: String, unsupported: inout [String]) throws(DevcontainerError) -> [String: String] {
        var result: [String: String] = [:]
        for (name, text) in try stringMap(value, key) {
            guard !name.isEmpty, !name.contains("=") else { throw .invalid(file: file, key: key, reason: "has the variable name '\(name)'") }
            if Self.reservedEnvironment.contains(name) {
                unsupported.append("\(key).\(name) (set by Burrow)")
                continue
            }
            result[name] = substitute(text, "\(key).\(name)", unsupported: &unsupported)
        }
        return result
    }

    func command(_ value: JSONC.Value, _ key: String, unsupported: inout [String]) throws(DevcontainerError) -> DevcontainerCommand {
        switch value {
        case .string(let script):
            _ = try string(value, key)
            return .shell(substitute(script, key, unsupported: &unsupported))
        case .array(let elements):
            var arguments: [String] = []
            for element in elements { arguments.append(substitute(try string(element, key), key, unsupported: &unsupported)) }
            guard !arguments.isEmpty, !arguments[0].isEmpty else { throw .invalid(file: file, key: key, reason: "is an empty command") }
            return .exec(arguments)
        case .object(let members):
            var named: [DevcontainerCommand.Named] = []
            for (name, member) in members {
                if case .object = member { throw .invalid(file: file, key: "\(key).\(name)", reason: "is an object; expected a string or an array") }
                named.append(.init(name: name, command: try command(member, "\(key).\(name)", unsupported: &unsupported)))
            }
            return .named(named)
        default:
            throw .invalid(file: file, key: key, reason: "is \(value.typeName); expected a string, an array or an object")
        }
    }

    private func stringMap(_ value: JSONC.Value, _ key: String) throws(DevcontainerError) -> [String: String] {
        guard case .object(let members) = value else { throw .invalid(file: file, key: key, reason: "is \(value.typeName); expected an object of strings") }
        var result: [String: String] = [:]
        for (name, member) in members { result[name] = try string(member, "\(key).\(name)") }
        return result
    }

    /// `${containerWorkspaceFolder}` and its basename are replaced; any other `${…}` variable (the
    /// host's environment, local paths) is left as written and reported: nothing of the host enters.
    private func substitute(_ text: String, _ key: String, unsupported: inout [String]) -> String {
        guard text.contains("${") else { return text }
        let basename = workspaceFolder.split(separator: "/").last.map(String.init) ?? ""
        let replaced = text.replacingOccurrences("${containerWorkspaceFolder}", with: workspaceFolder)
            .replacingOccurrences("${containerWorkspaceFolderBasename}", with: basename)
        for variable in ["localEnv", "containerEnv", "localWorkspaceFolder", "devcontainerId"] where replaced.contains("${" + variable) {
            unsupported.append("\(key): ${\(variable)…} is not substituted")
        }
        return replaced
    }
}
