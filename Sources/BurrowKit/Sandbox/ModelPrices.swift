import BurrowSystem
import BurrowPodman

/// What a model costs, in US dollars per million tokens.
public struct ModelPrice: Codable, Sendable, Equatable {
    public var input: Double
    public var output: Double
    /// Prompt cache writes (the 5-minute cache; the API does not say which in `usage` totals).
    public var cacheWrite: Double
    public var cacheRead: Double

    public init(input: Double, output: Double, cacheWrite: Double, cacheRead: Double) {
        self.input = input
        self.output = output
        self.cacheWrite = cacheWrite
        self.cacheRead = cacheRead
    }

    public func cost(_ usage: TokenUsage) -> Double {
        (Double(usage.inputTokens) * input + Double(usage.outputTokens) * output
            + Double(usage.cacheCreationTokens) * cacheWrite + Double(usage.cacheReadTokens) * cacheRead) / 1_000_000
    }
}

/// The price table: `prices` in the config over these defaults. The defaults are Anthropic's list
/// prices as carried by the model catalog inside Claude Code 2.1.330 (first-party API, standard
/// context). A model that is in neither is "unpriced": its tokens are counted, its cost is not guessed.
public struct ModelPrices: Sendable, Equatable {
    public let table: [String: ModelPrice]

    public init(overrides: [String: ModelPrice] = [:]) {
        table = Self.defaults.merging(overrides.map { ($0.key.lowercased(), $0.value) }) { $1 }
    }

    /// Exact id, else the longest table entry the id starts with followed by `-` (dated ids such as
    /// `claude-sonnet-4-5-20250929`).
    public func price(for model: String) -> ModelPrice? {
        let id = model.lowercased()
        if let exact = table[id] { return exact }
        return table.filter { id.hasPrefix($0.key + "-") }.max { $0.key.count < $1.key.count }?.value
    }

    static func tier(_ input: Double, _ output: Double, cacheRead: Double? = nil) -> ModelPrice {
        ModelPrice(input: input, output: output, cacheWrite: input * 1.25, cacheRead: cacheRead ?? input / 10)
    }

    public static let defaults: [String: ModelPrice] = [
        "claude-3-5-haiku": tier(0.8, 4), "claude-haiku-4-5": tier(1, 5), "claude-haiku-5-5": tier(0.1, 0.5),
        "claude-3-5-sonnet": tier(3, 15), "claude-3-7-sonnet": tier(3, 15), "claude-sonnet-4-0": tier(3, 15),
        "claude-sonnet-4": tier(3, 15), "claude-sonnet-4-5": tier(3, 15), "claude-sonnet-4-6": tier(3, 15),
        "claude-sonnet-5": tier(2, 10), "claude-sonnet-5-5": tier(2, 10, cacheRead: 0.1),
        "claude-opus-4-0": tier(15, 75), "claude-opus-4": tier(15, 75), "claude-opus-4-1": tier(15, 75),
        "claude-opus-4-5": tier(5, 25), "claude-opus-4-6": tier(5, 25), "claude-opus-4-7": tier(5, 25),
        "claude-opus-4-8": tier(5, 25), "claude-opus-5": tier(5, 25), "claude-opus-5-5": tier(4, 20, cacheRead: 0.2),
    ]
}
