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

/// The model endpoint's running account for one burrow: what it has spent so far (all turns), what
/// requests in flight have reserved, and its budget. A request reserves its worst case before it
/// goes upstream and settles to what was metered when its answer ends, so requests sent at once
/// cannot together spend past the budget: the overshoot is at most what one answer uses beyond its
/// reservation.
public final class BudgetGate: Sendable {
    private struct State {
        var spent: MeteredUsage
        var reserved = Hold(usd: 0, tokens: 0)
        /// Reservations not yet settled or released: "alone" is a count, not a sum of doubles that
        /// may not come back to exactly 0.
        var inFlight = 0
        var limit: Budget?
    }
    private let state: Mutex<State>

    /// What one request may cost at most: its reservation.
    public struct Hold: Sendable, Equatable {
        public var usd: Double
        public var tokens: Int
    }

    public init(spent: MeteredUsage = MeteredUsage(), limit: Budget?) {
        state = Mutex(State(spent: spent, limit: limit))
    }

    /// Why a request is refused on arrival: the budget is spent.
    public var refusal: String? { state.withLock { Self.reached($0) } }

    private static func reached(_ state: State) -> String? {
        guard let limit = state.limit, limit.reachedReason(state.spent) != nil else { return nil }
        if let usd = limit.usd, state.spent.costUSD >= usd {
            return "budget: $\(Budget.dollars(state.spent.costUSD + state.reserved.usd)) of $\(Budget.dollars(usd)) spent or reserved; "
                + "the burrow's budget is reached"
        }
        return "budget: \(state.spent.tokens.total + state.reserved.tokens) of \(limit.tokens ?? 0) tokens spent or reserved; "
            + "the burrow's budget is reached"
    }
    public var spent: MeteredUsage { state.withLock { $0.spent } }
    public var limit: Budget? { state.withLock { $0.limit } }
    var reserved: Hold { state.withLock { $0.reserved } }

    /// Why a request's hold was not taken. `final`: the budget is spent, no request will fit again;
    /// otherwise only requests in flight hold the room, and the same request fits once they end.
    struct Refusal: Equatable {
        let message: String
        let final: Bool
    }

    /// Takes `hold` out of what remains, or says why it does not fit (for the agent to read). A
    /// request with nothing else in flight is let through while anything of the budget is left,
    /// whatever its worst case: the reservation is deliberately pessimistic (every body byte a token,
    /// all of `max_tokens`), and refusing it would end a burrow at a fraction of its budget. The
    /// overshoot is then at most that one request's worst case, as promised; requests beside it must
    /// fit beside its reservation, or wait for it.
    func reserve(_ hold: Hold) -> Refusal? {
        state.withLock { state in
            if let reached = Self.reached(state) { return Refusal(message: reached, final: true) }
            let alone = state.inFlight == 0
            if !alone, let usd = state.limit?.usd {
                let committed = state.spent.costUSD + state.reserved.usd
                if committed + hold.usd > usd {
                    return Refusal(message: "budget: $\(Budget.dollars(committed)) of $\(Budget.dollars(usd)) spent or reserved; "
                        + "this request may cost up to $\(Budget.dollars(hold.usd)) (its input and max_tokens at its model's prices): "
                        + "retry when the requests in flight have ended", final: false)
                }
            }
            if !alone, let tokens = state.limit?.tokens {
                let committed = state.spent.tokens.total + state.reserved.tokens
                if committed + hold.tokens > tokens {
                    return Refusal(message: "budget: \(committed) of \(tokens) tokens spent or reserved; "
                        + "this request may use up to \(hold.tokens) (its input and max_tokens): retry when the requests in flight have ended",
                        final: false)
                }
            }
            state.reserved.usd += hold.usd
            state.reserved.tokens += hold.tokens
            state.inFlight += 1
            return nil
        }
    }

    /// The answer ended (whole or broken): its reservation (nil: none was taken, no budget) gives way
    /// to what it was metered to use; `atLeastHold`: to at least the reservation, for an answer that
    /// broke after the upstream took the request (what it billed cannot be known).
    func settle(_ hold: Hold?, model: String?, usage: TokenUsage, cost: Double?, atLeastHold: Bool = false) {
        state.withLock { state in
            var usage = usage
            var cost = cost
            if let hold {
                state.reserved = Self.minus(state.reserved, hold)
                state.inFlight = max(0, state.inFlight - 1)
                if atLeastHold {
                    cost = max(cost ?? 0, hold.usd)
                    usage.outputTokens += max(0, hold.tokens - usage.total)
                }
            }
            state.spent.add(model: model, usage: usage, cost: cost)
        }
    }

    /// The request failed before any usage: nothing was spent.
    func release(_ hold: Hold) {
        state.withLock { state in
            state.reserved = Self.minus(state.reserved, hold)
            state.inFlight = max(0, state.inFlight - 1)
        }
    }

    public func raise(to limit: Budget?) { state.withLock { $0.limit = limit } }

    private static func minus(_ a: Hold, _ b: Hold) -> Hold {
        Hold(usd: max(0, a.usd - b.usd), tokens: max(0, a.tokens - b.tokens))
    }
}
