import BurrowSystem

/// A repo's check: a shell string (run with `sh -c`) or an argv, run in the burrow's sandbox after
/// each agent turn. Either form is a command line for the box, never for the host.
public enum CheckCommand: Codable, Sendable, Equatable {
    case shell(String)
    case argv([String])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self = .shell(text)
        } else {
            self = .argv(try container.decode([String].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .shell(let text): try container.encode(text)
        case .argv(let words): try container.encode(words)
        }
    }

    /// What the check's container runs.
    public var arguments: [String] {
        switch self {
        case .shell(let text): ["sh", "-c", text]
        case .argv(let words): words
        }
    }

    var problem: String? {
        switch self {
        case .shell(let text): text.trimmingSpaces.isEmpty ? "is empty: give a shell command, e.g. \"python3 -m pytest -q\"" : nil
        case .argv(let words): words.first.map { $0.isEmpty } ?? true ? "must name a program first, e.g. [\"make\", \"test\"]" : nil
        }
    }
}

extension RepoConfig {
    static let defaultCheckTimeoutSeconds = 600
    static let maximumCheckRetries = 10

    public var resolvedCheckTimeoutSeconds: Int { checkTimeoutSeconds ?? Self.defaultCheckTimeoutSeconds }
    public var resolvedCheckRetries: Int { checkRetries ?? 0 }

    func validateCheck(field: String) throws(ConfigError) {
        if let problem = check?.problem { throw ConfigError(field: field + ".check", reason: problem) }
        if let seconds = checkTimeoutSeconds, !(1...86_400).contains(seconds) {
            throw ConfigError(field: field + ".checkTimeoutSeconds", reason: "must be from 1 to 86400 seconds, not \(seconds)")
        }
        if let retries = checkRetries, !(0...Self.maximumCheckRetries).contains(retries) {
            throw ConfigError(field: field + ".checkRetries", reason: "must be from 0 to \(Self.maximumCheckRetries), not \(retries)")
        }
    }
}
