import FoundationEssentials
import BurrowSystem

/// One attempt as a launch asks for it: the same task, perhaps with its own model or agent command.
public struct AttemptRequest: Decodable, Sendable, Equatable {
    public var model: String?
    public var agentCommand: [String]?

    public init(model: String? = nil, agentCommand: [String]? = nil) {
        self.model = model
        self.agentCommand = agentCommand
    }

    private struct Key: CodingKey {
        let stringValue: String
        init?(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }

    /// A misspelt key would launch the default agent in its place: refused instead.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        if let unknown = container.allKeys.first(where: { !["model", "agentCommand"].contains($0.stringValue) }) {
            throw BurrowError.invalid("unknown key '\(unknown.stringValue)' in an attempt", detail: "an attempt may give \"model\" and/or \"agentCommand\"")
        }
        model = try container.decodeIfPresent(String.self, forKey: Key(stringValue: "model")!)
        agentCommand = try container.decodeIfPresent([String].self, forKey: Key(stringValue: "agentCommand")!)
    }
}

/// `attempts` in a launch: how many (each the same), or a list of attempts.
public enum AttemptsRequest: Decodable, Sendable, Equatable {
    case count(Int)
    case list([AttemptRequest])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let count = try? container.decode(Int.self) {
            self = .count(count)
        } else {
            self = .list(try container.decode([AttemptRequest].self))
        }
    }

    public var attempts: [AttemptRequest] {
        switch self {
        case .count(let count): Array(repeating: AttemptRequest(), count: max(0, min(count, 1000)))
        case .list(let list): list
        }
    }
}

/// Where a launched burrow sits in its group: written on its record (the group lives in the records).
public struct AttemptPlacement: Sendable {
    let group: String
    let index: Int
    let request: AttemptRequest
    let groupBudgetUSD: Double?
    /// This attempt's share of the group's budget (the group's divided by the number of attempts).
    let share: Double?

    func apply(to record: inout BurrowRecord) {
        record.group = group
        record.attempt = index
        record.agentModel = request.model
        record.agentCommand = request.agentCommand
        record.groupBudgetUSD = groupBudgetUSD
        if let share { record.budget = Budget(usd: min(record.budget?.usd ?? share, share), tokens: record.budget?.tokens) }
    }
}

/// A group as `GET /api/groups/{id}` shows it: per attempt what the page compares.
public struct AttemptGroup: Encodable, Sendable {
    public struct Attempt: Encodable, Sendable {
        public let id: String
        public let attempt: Int
        public let model: String?
        public let agentCommand: [String]?
        public let state: BurrowRecord.State
        public let error: String?
        public let changes: WorkspaceChanges?
        public let check: CheckRun?
        public let costUSD: Double?
        public let durationMs: Int?
        /// Conversation turns (the task and each follow-up).
        public let turns: Int
        public let branch: String?
        public let picked: Bool
        public let tornDown: Bool
    }

    public let id: String
    public let repo: String
    public let task: String
    public let title: String?
    public let createdAt: Double
    public let groupBudgetUSD: Double?
    public let spentUSD: Double
    public let picked: String?
    /// Attempts whose latest check passed / failed (failed, timed out or could not run).
    public let passed: Int
    public let failed: Int
    public let attempts: [Attempt]

    init?(_ records: [BurrowRecord]) {
        let sorted = records.sorted { ($0.attempt ?? 0) < ($1.attempt ?? 0) }
        guard let first = sorted.first, let id = first.group else { return nil }
        self.id = id
        repo = first.repo
        task = first.task
        title = first.title
        createdAt = first.createdAt
        groupBudgetUSD = first.groupBudgetUSD
        attempts = sorted.map(Self.attempt)
        spentUSD = attempts.reduce(0) { $0 + ($1.costUSD ?? 0) }
        picked = attempts.first { $0.picked }?.id
        passed = attempts.filter { $0.check?.status == .passed }.count
        failed = attempts.filter { [.failed, .timedOut, .error].contains($0.check?.status) }.count
    }

    static func attempt(_ record: BurrowRecord) -> Attempt {
        let active = record.turnTimes?.reduce(0.0) { $0 + (($1.finishedAt ?? Date().timeIntervalSince1970) - $1.startedAt) }
        return Attempt(id: record.id, attempt: record.attempt ?? 0, model: record.agentModel, agentCommand: record.agentCommand,
                       state: record.state, error: record.error ?? record.agentError, changes: record.changes, check: record.check,
                       costUSD: record.metered?.total.costUSD ?? record.costUSD, durationMs: active.map { Int($0 * 1000) },
                       turns: record.turn, branch: record.branch, picked: record.picked == true, tornDown: record.tornDown)
    }
}
