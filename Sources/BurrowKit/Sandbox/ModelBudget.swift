import Synchronization
import BurrowSystem
import BurrowPodman

/// A spending limit for one burrow, over all its turns: dollars (metered at list prices) and/or
/// tokens (every token the API processed: input, output, cache writes and reads).
public struct Budget: Codable, Sendable, Equatable {
    public var usd: Double?
    public var tokens: Int?

    public init(usd: Double? = nil, tokens: Int? = nil) {
        self.usd = usd
        self.tokens = tokens
    }

    public var description: String {
        [usd.map { "$\(Self.dollars($0))" }, tokens.map { "\($0) tokens" }].compactMap { $0 }.joined(separator: " / ")
    }

    static func dollars(_ value: Double) -> String {
        let cents = (value * 10000).rounded() / 10000
        return String(cents)
    }

    /// Why it is reached by `spent`, or nil while there is room.
    public func reachedReason(_ spent: MeteredUsage) -> String? {
        if let usd, spent.costUSD >= usd {
            return "Burrow budget of $\(Self.dollars(usd)) reached ($\(Self.dollars(spent.costUSD)) spent by this burrow)"
        }
        if let tokens, spent.tokens.total >= tokens {
            return "Burrow budget of \(tokens) tokens reached (\(spent.tokens.total) used by this burrow)"
        }
        return nil
    }

    /// Unset fields of `self` taken from `fallback` (launch over repo over global).
    func over(_ fallback: Budget?) -> Budget {
        Budget(usd: usd ?? fallback?.usd, tokens: tokens ?? fallback?.tokens)
    }

    func check(field: String) throws(ConfigError) {
        if let usd, !(usd >= 0 && usd.isFinite) { throw ConfigError(field: field + ".usd", reason: "must be a number of dollars, 0 or more") }
        if let tokens, tokens < 0 { throw ConfigError(field: field + ".tokens", reason: "must be 0 or more") }
    }
}

/// The model endpoint's running account for one burrow: what it has spent so far (all turns) and
/// its budget. Requests are refused once the budget is reached; requests in flight when it is
/// crossed complete (a budget can be overshot by what those answers use).
public final class BudgetGate: Sendable {
    private let state: Mutex<(spent: MeteredUsage, limit: Budget?)>

    public init(spent: MeteredUsage = MeteredUsage(), limit: Budget?) {
        state = Mutex((spent, limit))
    }

    public var refusal: String? { state.withLock { $0.limit?.reachedReason($0.spent) } }
    public var spent: MeteredUsage { state.withLock { $0.spent } }

    public func add(model: String?, usage: TokenUsage, cost: Double?) {
        state.withLock { $0.spent.add(model: model, usage: usage, cost: cost) }
    }

    public func raise(to limit: Budget?) { state.withLock { $0.limit = limit } }
}
