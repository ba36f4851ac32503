import FoundationEssentials
import BurrowSystem

/// A webhook that launches a burrow: `POST /hooks/{name}` with a body signed by the shared secret
/// (GitHub's `X-Hub-Signature-256`) starts one on `repo` with `task`, its `{{field.path}}`s filled
/// from the JSON payload, under `budget`.
public struct TriggerConfig: Codable, Sendable, Equatable {
    public var name: String
    /// The shared secret: `{"env": NAME}` or `{"file": PATH}` (first line), read at start.
    public var secret: CredentialsConfig.Source
    public var repo: String
    public var task: String
    public var budget: Budget?
    /// Only these `X-GitHub-Event` values launch (e.g. `["issues"]`); absent: every event but `ping`.
    public var events: [String]?

    public init(name: String, secret: CredentialsConfig.Source, repo: String, task: String, budget: Budget? = nil, events: [String]? = nil) {
        self.name = name
        self.secret = secret
        self.repo = repo
        self.task = task
        self.budget = budget
        self.events = events
    }
}

extension Config {
    func validateTriggers() throws(ConfigError) {
        var names = Set<String>()
        for (index, trigger) in triggers.enumerated() {
            let field = "triggers[\(index)]"
            guard Self.isSafeName(trigger.name) else { throw ConfigError(field: field + ".name", reason: "use letters, digits, '.', '_' or '-'") }
            guard names.insert(trigger.name).inserted else { throw ConfigError(field: field + ".name", reason: "'\(trigger.name)' is used twice") }
            guard (trigger.secret.env == nil) != (trigger.secret.file == nil) else {
                throw ConfigError(field: field + ".secret", reason: "give exactly one of \"env\" or \"file\"")
            }
            guard repo(named: trigger.repo) != nil else {
                throw ConfigError(field: field + ".repo", reason: "no repo named '\(trigger.repo)' in \"repos\"")
            }
            guard !trigger.task.trimmingSpaces.isEmpty else { throw ConfigError(field: field + ".task", reason: "is empty") }
            if let problem = TaskTemplate.problem(in: trigger.task) { throw ConfigError(field: field + ".task", reason: problem) }
            try trigger.budget?.check(field: field + ".budget")
        }
    }
}

/// A task with `{{field.path}}` placeholders (`{{issue.title}}`, `{{commits.0.message}}`) filled from a
/// JSON payload: strings as they are, numbers and booleans as text, objects and arrays as JSON, a
/// missing field as nothing.
public enum TaskTemplate {
    public static func render(_ template: String, payload: JSONValue) -> String {
        var output = ""
        var rest = Substring(template)
        while let open = rest.firstRange(of: "{{"), let close = rest[open.upperBound...].firstRange(of: "}}") {
            output += rest[..<open.lowerBound]
            let path = rest[open.upperBound..<close.lowerBound].split(separator: ".").map { String($0.trimmingSpaces) }
            output += text(of: lookup(path, in: payload))
            rest = rest[close.upperBound...]
        }
        return output + rest
    }

    /// Why a template cannot be used, or nil.
    static func problem(in template: String) -> String? {
        var rest = Substring(template)
        while let open = rest.firstRange(of: "{{") {
            guard let close = rest[open.upperBound...].firstRange(of: "}}") else { return "a '{{' without its '}}'" }
            if rest[open.upperBound..<close.lowerBound].trimmingSpaces.isEmpty { return "an empty {{}}" }
            rest = rest[close.upperBound...]
        }
        return nil
    }

    static func lookup(_ path: [String], in value: JSONValue) -> JSONValue? {
        var current = value
        for key in path {
            switch current {
            case .object(let fields): guard let next = fields[key] else { return nil }; current = next
            case .array(let items): guard let index = Int(key), items.indices.contains(index) else { return nil }; current = items[index]
            default: return nil
            }
        }
        return current
    }

    static func text(of value: JSONValue?) -> String {
        switch value {
        case nil, .null?: ""
        case .string(let text)?: text
        case .bool(let flag)?: flag ? "true" : "false"
        case .number(let number)?: number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case let other?: (try? JSONCoding.encoder.encode(other)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        }
    }
}
