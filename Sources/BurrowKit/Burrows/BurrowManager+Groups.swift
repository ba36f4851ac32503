import FoundationEssentials
import BurrowSystem
import BurrowPodman

/// Best of N: one task launched as several attempts (a group), compared, and one picked.
extension BurrowManager {
    public static let attemptRange = 1...8

    /// The launch's options that every attempt of a group shares.
    public struct GroupLaunch: Sendable {
        public var repo: String
        public var task: String
        public var gpu: Bool?
        public var budget: Budget?
        public var base: String?
        public var uncommitted = false
        public var title: String?
        public var runner: String?
        public var groupBudgetUSD: Double?
        /// As for one burrow: each attempt's asking and added deny rules, and its credential services.
        public var network: AskOverride?
        public var credentialServices: [String]?
        public var nestedContainers: Bool?

        public init(repo: String, task: String) {
            self.repo = repo
            self.task = task
        }
    }

    /// Launches every attempt, or none: the whole request is checked before the first launch.
    public func launchGroup(_ launch: GroupLaunch, attempts: [AttemptRequest]) async throws -> AttemptGroup {
        try checkAttempts(attempts)
        if let usd = launch.groupBudgetUSD, !(usd > 0 && usd.isFinite) {
            throw BurrowError.invalid("groupBudgetUSD must be a number of dollars above 0, not \(usd)")
        }
        let group = "g" + BurrowRecord.newID()
        let share = launch.groupBudgetUSD.map { $0 / Double(attempts.count) }
        for (index, attempt) in attempts.enumerated() {
            let placement = AttemptPlacement(group: group, index: index + 1, request: attempt, groupBudgetUSD: launch.groupBudgetUSD, share: share)
            _ = try await self.launch(repo: launch.repo, task: launch.task, gpu: launch.gpu, budget: launch.budget, base: launch.base,
                                      uncommitted: launch.uncommitted, title: launch.title, runner: launch.runner,
                                      asking: launch.network, credentialServices: launch.credentialServices, placement: placement,
                                      nestedContainers: launch.nestedContainers)
        }
        guard let launched = self.group(group) else { throw BurrowError.conflict("group \(group) has no attempts") }
        return launched
    }

    /// N from 1 to 8; each model one the price table knows (or Claude Code's aliases); each agent
    /// command a program the configuration already runs as an agent.
    func checkAttempts(_ attempts: [AttemptRequest]) throws(BurrowError) {
        guard Self.attemptRange.contains(attempts.count) else {
            throw .invalid("attempts must be from 1 to 8, not \(attempts.count)", detail: "ask for \"attempts\": 3, or a list of up to 8 attempts")
        }
        let prices = ModelPrices(overrides: config.prices)
        let programs = Set([config.agentCommand.first, config.resumeCommand.first].compactMap { $0 })
        for (index, attempt) in attempts.enumerated() {
            if let model = attempt.model, !Self.modelAliases.contains(model), prices.price(for: model) == nil || model.contains(where: \.isWhitespace) {
                throw .invalid("attempt \(index + 1): unknown model '\(model)'",
                               detail: "use one of \(Self.modelAliases.joined(separator: ", ")) or a model id in the price table (e.g. claude-sonnet-4-5); add others to \"prices\" in the config")
            }
            if let command = attempt.agentCommand {
                guard let program = command.first, programs.contains(program), command.count <= 64, command.allSatisfy({ $0.utf8.count <= 64 * 1024 }) else {
                    throw .invalid("attempt \(index + 1): unknown agent command \(command.first.map { "'\($0)'" } ?? "[]")",
                                   detail: "an attempt's agentCommand must run the configured agent program (\(programs.sorted().joined(separator: " or "))), with at most 64 arguments")
                }
            }
        }
    }

    static let modelAliases = ["sonnet", "opus", "haiku"]

    /// The group `id` from its attempts' records; nil when none carries it.
    public func group(_ id: String) -> AttemptGroup? {
        AttemptGroup(records.values.filter { $0.group == id })
    }

    public func groups() -> [AttemptGroup] {
        Dictionary(grouping: records.values.filter { $0.group != nil }) { $0.group ?? "" }.values
            .compactMap { AttemptGroup(Array($0)) }.sorted { $0.createdAt > $1.createdAt }
    }

    /// A raised budget on an attempt stays within what its group has left: the group's budget less
    /// what every other attempt may spend (its budget while it runs, what it spent once it ended).
    func groupCapped(_ record: BurrowRecord, _ raised: Budget?) -> Budget? {
        guard let raised, let usd = raised.usd, let total = record.groupBudgetUSD, let group = record.group else { return raised }
        let others = records.values.filter { $0.group == group && $0.id != record.id }.reduce(0.0) { sum, other in
            sum + (other.state.isFinal ? other.metered?.total.costUSD ?? 0 : other.budget?.usd ?? 0)
        }
        return Budget(usd: min(usd, max(0, total - others)), tokens: raised.tokens)
    }

    /// A follow-up to one attempt (`attempt`) or to every attempt not torn down; what each refused.
    public func sendGroupMessage(_ id: String, text: String, attempt: String?, budget: Budget?) async throws -> [String: String] {
        guard let group = group(id) else { throw BurrowError.invalid("no group \(id)") }
        let targets = try attempt.map { chosen in
            guard group.attempts.contains(where: { $0.id == chosen }) else { throw BurrowError.invalid("burrow \(chosen) is not an attempt of group \(id)") }
            return [chosen]
        } ?? group.attempts.filter { !$0.tornDown }.map(\.id)
        var refused: [String: String] = [:]
        for target in targets {
            do {
                _ = try await sendMessage(target, text: text, budget: budget)
            } catch {
                if attempt != nil { throw error }
                refused[target] = "\(error)"
            }
        }
        if !targets.isEmpty, refused.count == targets.count { throw BurrowError.conflict("no attempt of group \(id) took the message", detail: refused.values.sorted().joined(separator: "; ")) }
        return refused
    }
}
