import BurrowSystem
import BurrowHTTP
import BurrowPodman
/// What `burrow ARGUMENTS` asks for. Parsing is pure: it never touches the config, the state dir or
/// a socket, so `--help` and a typo cannot start a server. Only `.serve` does.
public enum Invocation: Equatable, Sendable {
    case serve(configPath: String?)
    case doctor(configPath: String?)
    case gc(configPath: String?, dryRun: Bool)
    case version
    /// Usage of one subcommand, or of Burrow as a whole when nil.
    case help(Subcommand?)
}

public enum Subcommand: String, CaseIterable, Sendable {
    case serve, doctor, gc, version, help

    var options: [CommandOption] {
        switch self {
        case .serve, .doctor: [.config]
        case .gc: [.config, .dryRun]
        case .version, .help: []
        }
    }

    var summary: String {
        switch self {
        case .serve: "run the web app until SIGINT or SIGTERM"
        case .doctor: "check that Burrow can launch burrows here; exit 1 when it cannot"
        case .gc: "remove Burrow containers and volumes that no burrow owns"
        case .version: "print Burrow's version"
        case .help: "print this help, or a command's (burrow help COMMAND)"
        }
    }

    /// `burrow serve --help`: the command's synopsis, what it does and its options.
    public var usage: String {
        var lines = ["usage: burrow \(rawValue)\(options.map { " [\($0.synopsis)]" }.joined())\(self == .help ? " [COMMAND]" : "")",
                     "", summary.prefix(1).uppercased() + summary.dropFirst() + "."]
        if !options.isEmpty { lines.append("") }
        for option in options + [.help] { lines.append("  \(option.synopsis.padding(toLength: 16))\(option.summary)") }
        return lines.joined(separator: "\n")
    }
}

enum CommandOption: String, Sendable {
    case config = "--config", dryRun = "--dry-run", help = "--help"

    var takesValue: Bool { self == .config }
    var synopsis: String { takesValue ? "\(rawValue) FILE" : self == .help ? "-h, --help" : rawValue }
    var summary: String {
        switch self {
        case .config: "read FILE instead of ./burrow.json or ~/.config/burrow/burrow.json"
        case .dryRun: "only list what would be removed"
        case .help: "print this help and exit"
        }
    }
}

/// A command line Burrow does not understand: said on stderr with the usage, exit code 2.
public struct UsageError: Error, Equatable, CustomStringConvertible, Sendable {
    public let message: String
    /// The command whose usage to show, or nil for Burrow's.
    public let command: Subcommand?
    public var description: String { message }
}

public enum CommandLineParser {
    /// Burrow's own usage: every command with its summary.
    public static var usage: String {
        var lines = ["usage: burrow COMMAND [OPTIONS]", "", "Commands:"]
        for command in Subcommand.allCases { lines.append("  \(command.rawValue.padding(toLength: 9))\(command.summary)") }
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
        guard let command = Subcommand(rawValue: first) else {
            let what = first.hasPrefix("-") ? "unknown option '\(first)'" : "unknown command '\(first)'"
            return .failure(UsageError(message: what, command: nil))
        }
        return parse(command, Array(arguments.dropFirst()))
    }

    static func parse(_ command: Subcommand, _ rest: [String]) -> Result<Invocation, UsageError> {
        var configPath: String?
        var dryRun = false
        var topic: String?
        var index = 0
        while index < rest.count {
            let argument = rest[index]
            index += 1
            if argument == "-h" || argument == "--help" { return .success(.help(command)) }
            let (name, inlineValue) = split(argument)
            if let option = CommandOption(rawValue: name), command.options.contains(option) {
                guard option.takesValue else {
                    if inlineValue != nil { return .failure(UsageError(message: "\(name) takes no value", command: command)) }
                    dryRun = true
                    continue
                }
                if let inlineValue {
                    configPath = inlineValue
                } else if index < rest.count {
                    configPath = rest[index]
                    index += 1
                } else {
                    return .failure(UsageError(message: "\(name) needs a value (\(option.synopsis))", command: command))
                }
                if configPath?.isEmpty == true { return .failure(UsageError(message: "\(name) needs a non-empty value", command: command)) }
                continue
            }
            if argument.hasPrefix("-") { return .failure(UsageError(message: "unknown option '\(argument)' for `burrow \(command.rawValue)`", command: command)) }
            if command == .help && topic == nil {
                topic = argument
                continue
            }
            return extra(argument, command: command)
        }
        switch command {
        case .serve: return .success(.serve(configPath: configPath))
        case .doctor: return .success(.doctor(configPath: configPath))
        case .gc: return .success(.gc(configPath: configPath, dryRun: dryRun))
        case .version: return .success(.version)
        case .help:
            guard let topic else { return .success(.help(nil)) }
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
