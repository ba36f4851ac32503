import BurrowSystem
import BurrowHTTP
import BurrowPodman
import BurrowKit
import BurrowWeb
/// What `burrow ARGUMENTS` asks for. Parsing is pure: it never touches the config, the state dir or
/// a socket, so `--help` and a typo cannot start a server. Only `.serve` does.
public enum Invocation: Equatable, Sendable {
    /// `--port`/`--repo`: quick flags over the config (`QuickFlags`).
    case serve(configPath: String?, port: UInt16? = nil, repos: [String] = [])
    /// `burrow init`: write a working config (`InitCommand`).
    case initialize(configPath: String?, port: UInt16?, repos: [String], socket: String? = nil)
    case doctor(configPath: String?)
    case gc(configPath: String?, dryRun: Bool)
    /// `burrow image build`: the agent image from its recipe, into Burrow's Podman.
    case imageBuild(configPath: String?, socket: String?, tag: String?, force: Bool)
    case version
    /// A client of the running server: `burrow run|ls|logs|stop|teardown|open` (ClientCommandLine).
    case client(ClientInvocation)
    case clientHelp(ClientVerb)
    /// Usage of one subcommand, or of Burrow as a whole when nil.
    case help(Subcommand?)
}

public enum Subcommand: String, CaseIterable, Sendable {
    case serve, initialize = "init", doctor, gc, image, version, help

    var options: [CommandOption] {
        switch self {
        case .serve: [.config, .port, .repo]
        case .initialize: [.config, .port, .repo, .podmanSocket]
        case .doctor: [.config]
        case .gc: [.config, .dryRun]
        case .image: [.config, .podmanSocket, .tag, .force]
        case .version, .help: []
        }
    }

    var summary: String {
        switch self {
        case .serve: "run the web app until SIGINT or SIGTERM"
        case .initialize: "write a working config (repos checked, Podman found, credentials explained); never overwrites"
        case .doctor: "check that Burrow can launch burrows here; exit 1 when it cannot"
        case .gc: "remove Burrow containers and volumes that no burrow owns"
        case .image: "build: build the agent image (Debian + Claude Code) into Burrow's Podman (burrow image build)"
        case .version: "print Burrow's version"
        case .help: "print this help, or a command's (burrow help COMMAND)"
        }
    }

    /// `burrow serve --help`: the command's synopsis, what it does and its options.
    public var usage: String {
        var lines = ["usage: burrow \(rawValue)\(self == .image ? " build" : "")\(options.map { " [\($0.synopsis)]" }.joined())\(self == .help ? " [COMMAND]" : "")",
                     "", summary.prefix(1).uppercased() + summary.dropFirst() + "."]
        if !options.isEmpty { lines.append("") }
        for option in options + [.help] { lines.append("  \(option.synopsis.padding(toLength: 16))\(option.summary)") }
        return lines.joined(separator: "\n")
    }
}

enum CommandOption: String, Sendable {
    case config = "--config", port = "--port", repo = "--repo", dryRun = "--dry-run", podmanSocket = "--podman-socket", tag = "--tag", force = "--force", help = "--help"

    var takesValue: Bool { ![.dryRun, .force, .help].contains(self) }
    var synopsis: String {
        switch self {
        case .config: "--config FILE"
        case .podmanSocket: "--podman-socket PATH"
        case .tag: "--tag NAME"
        case .port: "--port N"
        case .repo: "--repo PATH"
        case .help: "-h, --help"
        default: rawValue
        }
    }
    var summary: String {
        switch self {
        case .config: "read FILE instead of ./burrow.json or ~/.config/burrow/burrow.json"
        case .port: "listen on port N (on the config's listen host, 127.0.0.1 by default)"
        case .repo: "a local git repository, named by its folder (repeatable); no config needed"
        case .dryRun: "only list what would be removed"
        case .podmanSocket: "the Podman API socket (image: to build into, default the config's; init: to write, default the one found)"
        case .tag: "the image name (default: the config's image)"
        case .force: "build even when the recipe has not changed"
        case .help: "print this help and exit"
        }
    }
}

/// A command line Burrow does not understand: said on stderr with the usage, exit code 2.
public struct UsageError: Error, Equatable, CustomStringConvertible, Sendable {
    public let message: String
    /// The command whose usage to show, or nil for Burrow's.
    public let command: Subcommand?
    /// Or the client command whose usage to show.
    public var client: ClientVerb? = nil
    public var description: String { message }
    public var usage: String { client?.usage ?? command?.usage ?? CommandLineParser.usage }
}

public enum CommandLineParser {
    /// Burrow's own usage: every command with its summary.
    public static var usage: String {
        var lines = ["usage: burrow COMMAND [OPTIONS]", "", "Commands:"]
        for command in Subcommand.allCases { lines.append("  \(command.rawValue.padding(toLength: 9))\(command.summary)") }
        lines += ["", "Client commands (they talk to a running `burrow serve`):"]
        for verb in ClientVerb.allCases { lines.append("  \(verb.rawValue.padding(toLength: 9))\(verb.summary)") }
        lines += ["", "Options: -h, --help (here or after a command), --version.",
                  "`burrow COMMAND --help` shows a command's options. Only `burrow serve` starts a server."]
        return lines.joined(separator: "\n")
    }

    /// `arguments` without the program name.
    public static func parse(_ arguments: [String]) -> Result<Invocation, UsageError> {
        guard let first = arguments.first else {
            return .failure(UsageError(message: "no command given", command: nil))
        }
        switch first {
        case "-h", "--help": return arguments.count == 1 ? .success(.help(nil)) : extra(arguments[1], command: nil)
        case "--version": return arguments.count == 1 ? .success(.version) : extra(arguments[1], command: nil)
        default: break
        }
        if let verb = ClientVerb(rawValue: first) { return ClientCommandLine.parse(verb, Array(arguments.dropFirst())) }
        guard let command = Subcommand(rawValue: first) else {
            let what = first.hasPrefix("-") ? "unknown option '\(first)'" : "unknown command '\(first)'"
            return .failure(UsageError(message: what, command: nil))
        }
        return parse(command, Array(arguments.dropFirst()))
    }

    static func parse(_ command: Subcommand, _ rest: [String]) -> Result<Invocation, UsageError> {
        var values: [CommandOption: String] = [:]
        var flags: Set<CommandOption> = []
        var topic: String?
        var positional: [String] = []
        var repos: [String] = []
        var index = 0
        while index < rest.count {
            let argument = rest[index]
            index += 1
            if argument == "-h" || argument == "--help" { return .success(.help(command)) }
            let (name, inlineValue) = split(argument)
            if let option = CommandOption(rawValue: name), command.options.contains(option) {
                guard option.takesValue else {
                    if inlineValue != nil { return .failure(UsageError(message: "\(name) takes no value", command: command)) }
                    flags.insert(option)
                    continue
                }
                var value: String
                if let inlineValue {
                    value = inlineValue
                } else if index < rest.count {
                    value = rest[index]
                    index += 1
                } else {
                    return .failure(UsageError(message: "\(name) needs a value (\(option.synopsis))", command: command))
                }
                if value.isEmpty { return .failure(UsageError(message: "\(name) needs a non-empty value", command: command)) }
                if option == .port && UInt16(value) == nil { return .failure(UsageError(message: "--port needs a number from 0 to 65535", command: command)) }
                if option == .repo { repos.append(value) }
                values[option] = value
                continue
            }
            if argument.hasPrefix("-") { return .failure(UsageError(message: "unknown option '\(argument)' for `burrow \(command.rawValue)`", command: command)) }
            if command == .help && topic == nil {
                topic = argument
                continue
            }
            if command == .image && positional.isEmpty {
                positional.append(argument)
                continue
            }
            return extra(argument, command: command)
        }
        switch command {
        case .serve: return .success(.serve(configPath: values[.config], port: values[.port].flatMap { UInt16($0) }, repos: repos))
        case .initialize: return .success(.initialize(configPath: values[.config], port: values[.port].flatMap { UInt16($0) }, repos: repos,
                                                      socket: values[.podmanSocket]))
        case .doctor: return .success(.doctor(configPath: values[.config]))
        case .gc: return .success(.gc(configPath: values[.config], dryRun: flags.contains(.dryRun)))
        case .image:
            guard positional == ["build"] else { return .failure(UsageError(message: "`burrow image` needs `build`", command: command)) }
            return .success(.imageBuild(configPath: values[.config], socket: values[.podmanSocket], tag: values[.tag], force: flags.contains(.force)))
        case .version: return .success(.version)
        case .help:
            guard let topic else { return .success(.help(nil)) }
            if let verb = ClientVerb(rawValue: topic) { return .success(.clientHelp(verb)) }
            guard let subject = Subcommand(rawValue: topic) else { return .failure(UsageError(message: "no command '\(topic)' to explain", command: nil)) }
            return .success(.help(subject))
        }
    }

    private static func split(_ argument: String) -> (name: String, value: String?) {
        guard argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") else { return (argument, nil) }
        return (String(argument[..<equals]), String(argument[argument.index(after: equals)...]))
    }

    private static func extra(_ argument: String, command: Subcommand?) -> Result<Invocation, UsageError> {
        let place = command.map { "`burrow \($0.rawValue)`" } ?? "burrow"
        let what = argument.hasPrefix("-") ? "unknown option '\(argument)'" : "unexpected argument '\(argument)'"
        return .failure(UsageError(message: "\(what) for \(place)", command: command))
    }
}

extension String {
    fileprivate func padding(toLength length: Int) -> String {
        count >= length ? self + " " : self + String(repeating: " ", count: length - count)
    }
}
