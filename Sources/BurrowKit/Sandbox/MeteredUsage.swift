import BurrowSystem
import BurrowPodman

/// What Burrow's model endpoint measured itself from the API's answers: the authoritative account
/// of a turn or a burrow (the agent's own `total_cost_usd` is only its claim).
public struct MeteredUsage: Codable, Sendable, Equatable {
    /// Responses that carried `usage`.
    public var responses = 0
    public var inputTokens = 0
    public var outputTokens = 0
    public var cacheCreationTokens = 0
    public var cacheReadTokens = 0
    /// The priced part; with `unpricedModels` not empty it is a lower bound.
    public var costUSD: Double = 0
    /// Models with no entry in the price table (`prices`): their tokens are counted, not their cost.
    public var unpricedModels: [String] = []

    public init() {}

    public var tokens: TokenUsage {
        TokenUsage(inputTokens: inputTokens, outputTokens: outputTokens, cacheCreationTokens: cacheCreationTokens, cacheReadTokens: cacheReadTokens)
    }

    mutating func add(model: String?, usage: TokenUsage, cost: Double?) {
        responses += 1
        inputTokens += usage.inputTokens
        outputTokens += usage.outputTokens
        cacheCreationTokens += usage.cacheCreationTokens
        cacheReadTokens += usage.cacheReadTokens
        if let cost {
            costUSD += cost
        } else {
            let name = String((model ?? "unknown model").prefix(100))
            if !unpricedModels.contains(name) && unpricedModels.count < 20 { unpricedModels.append(name) }
        }
    }
}

/// A burrow's metered usage: each turn's and the whole burrow's.
public struct MeteredTurns: Codable, Sendable, Equatable {
    public var total = MeteredUsage()
    /// Index 0 is turn 1.
    public var turns: [MeteredUsage] = []

    public init() {}

    /// Adds one model response reported by the endpoint (a `model` net event that carries usage).
    public mutating func add(_ event: NetEvent, turn: Int) {
        guard let usage = event.usage else { return }
        while turns.count < turn { turns.append(MeteredUsage()) }
        turns[turn - 1].add(model: event.model, usage: usage, cost: event.costUSD)
        total.add(model: event.model, usage: usage, cost: event.costUSD)
    }
}
