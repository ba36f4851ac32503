/// The client commands: they talk to a running `burrow serve` over its HTTP API and start nothing.
public enum ClientVerb: String, CaseIterable, Sendable {
    case run, ls, logs, stop, teardown, open, shell, exec

    var synopsis: String {
        switch self {
        case .run: "run REPO TASK [--wait] [--follow] [--json] [--attempts N]"
        case .ls: "ls [--json]"
        case .logs: "logs [-f] [--json] ID"
        case .stop: "stop [--json] ID"
        case .teardown: "teardown ID"
        case .open: "open ID"
        case .shell: "shell ID"
        case .exec: "exec ID -- COMMAND [ARG…]"
        }
    }

    var summary: String {
        switch self {
        case .run: "launch a burrow on REPO with TASK through the running server"
        case .ls: "list the server's burrows, newest first"
        case .logs: "print a burrow's output so far (-f: follow it until the turn ends)"
        case .stop: "stop a running burrow (its partial work still comes home)"
        case .teardown: "remove a finished burrow's container and workspace (record and result kept)"
        case .open: "print the burrow's page URL, and open it in a browser when one is at hand"
        case .shell: "open an interactive shell in a burrow (running, or finished and kept), as its agent, in its sandbox"
        case .exec: "run one command in a burrow as its agent, in its sandbox; exit with the command's status"
        }
    }

    var flags: Set<String> {
        switch self {
        case .run: ["--wait", "--follow", "--json"]
        case .ls, .stop: ["--json"]
        case .logs: ["-f", "--follow", "--json"]
        case .teardown, .open, .shell, .exec: []
        }
    }

    var positionals: [String] { self == .run ? ["REPO", "TASK"] : self == .ls ? [] : self == .exec ? ["ID", "COMMAND"] : ["ID"] }

    public var usage: String {
        var lines = ["usage: burrow \(synopsis) [--config FILE] [--server URL]", "",
                     summary.prefix(1).uppercased() + summary.dropFirst() + ".", ""]
        lines += [
            "  --config FILE   the server's config: its listen address and state dir (token); default as `burrow serve`",
            "  --server URL    the server's address instead (http://127.0.0.1:PORT)",
        ]
        if flags.contains("--wait") { lines.append("  --wait          wait until the burrow ends; exit 0 succeeded, 1 failed, 3 stopped") }
        if self == .run { lines.append("  --follow        print the burrow's output as it comes (implies --wait)") }
        if self == .logs { lines.append("  -f, --follow    keep printing until the turn ends") }
        if self == .run { lines.append("  --attempts N    best of N (1-8): a group of N attempts; --wait/--follow wait for all (each attempt's state and check), exit 0 when one passed") }
        if flags.contains("--json") { lines.append("  --json          machine-readable output (README: \"The command line\")") }
        if self == .shell || self == .exec {
            lines.append("The session is recorded as opened and closed in the burrow's events; what is typed is not.")
            lines.append("Exit status: the command's (\(self == .shell ? "the shell's last" : "COMMAND's")); Burrow's own errors as below.")
        }
        lines += ["  -h, --help      print this help and exit", "",
                  "Token: BURROW_TOKEN, else <stateDir>/token. Exit status: 0 done, 2 usage, 4 refused by the server,",
                  "5 no server answering (start `burrow serve`), 6 token missing or refused."]
        return lines.joined(separator: "\n")
    }
}

public struct ClientInvocation: Equatable, Sendable {
    public var verb: ClientVerb
    public var configPath: String?
    public var server: String?
    public var arguments: [String] = []
    public var wait = false
    public var follow = false
    public var json = false
    public var attempts = 1

    /// `run`'s repo and task; the other verbs' burrow id.
    public var repo: String { arguments.first ?? "" }
    public var task: String { arguments.count > 1 ? arguments[1] : "" }
    public var id: String { arguments.first ?? "" }
    /// `exec`'s command: everything after the id.
    public var command: [String] { Array(arguments.dropFirst()) }
}

enum ClientCommandLine {
    static func parse(_ verb: ClientVerb, _ rest: [String]) -> Result<Invocation, UsageError> {
        func failure(_ message: String) -> Result<Invocation, UsageError> {
            .failure(UsageError(message: message, command: nil, client: verb))
        }
        var invocation = ClientInvocation(verb: verb)
        var index = 0
        var optionsEnded = false
        while index < rest.count {
            let argument = rest[index]
            index += 1
            if !optionsEnded && argument.hasPrefix("-") && argument != "-" {
                if argument == "--" { optionsEnded = true; continue }
                if argument == "-h" || argument == "--help" { return .success(.clientHelp(verb)) }
                let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
                let name = parts[0]
                if ["--config", "--server"].contains(name) || (name == "--attempts" && verb == .run) {
                    let value: String
                    if parts.count == 2 { value = parts[1] } else if index < rest.count { value = rest[index]; index += 1 } else {
                        return failure("\(name) needs a value")
                    }
                    if value.isEmpty { return failure("\(name) needs a non-empty value") }
                    switch name {
                    case "--config": invocation.configPath = value
                    case "--server": invocation.server = value
                    default:
                        guard let count = Int(value), count >= 1, count <= 8 else { return failure("--attempts needs a number from 1 to 8") }
                        invocation.attempts = count
                    }
                    continue
                }
                guard verb.flags.contains(name), parts.count == 1 else {
                    return failure(parts.count == 2 && verb.flags.contains(name) ? "\(name) takes no value" : "unknown option '\(argument)' for `burrow \(verb.rawValue)`" + (verb == .exec ? " (put the command after --)" : ""))
                }
                switch name {
                case "--wait": invocation.wait = true
                case "--follow", "-f": invocation.follow = true
                default: invocation.json = true
                }
                continue
            }
            guard invocation.arguments.count < verb.positionals.count || verb == .exec else { return failure("unexpected argument '\(argument)' for `burrow \(verb.rawValue)`") }
            invocation.arguments.append(argument)
        }
        guard invocation.arguments.count == verb.positionals.count || (verb == .exec && invocation.arguments.count > 2) else {
            return failure("`burrow \(verb.rawValue)` needs \(verb.positionals.joined(separator: " and "))")
        }
        if verb == .run && invocation.follow { invocation.wait = true }
        if verb == .run && invocation.task.isEmpty { return failure("the task is empty") }
        return .success(.client(invocation))
    }
}
