import BurrowSystem
import BurrowPodman

/// Checks of the model endpoint's settings: routes, prices, budgets.
extension Config {
    func validateModelSettings() throws(ConfigError) {
        if let routes = credentials.allowedRoutes, let bad = ModelRoutes.invalidEntry(routes) {
            throw ConfigError(field: "credentials.allowedRoutes", reason: "'\(bad)' is not METHOD /path (e.g. \"POST /v1/messages\", \"GET /v1/models/*\")")
        }
        if let tools = credentials.anthropic?.serverTools, let bad = ServerTools.invalidEntry(tools) {
            throw ConfigError(field: "credentials.anthropic.serverTools",
                              reason: "'\(bad)' is not a server tool's name (lowercase letters, digits, '_': e.g. \"web_search\", \"web_fetch\", \"mcp\")")
        }
        for (model, price) in prices {
            let values = [price.input, price.output, price.cacheWrite, price.cacheRead]
            guard !model.isEmpty, values.allSatisfy({ $0 >= 0 && $0.isFinite }) else {
                throw ConfigError(field: "prices", reason: "'\(model)': prices are dollars per million tokens, 0 or more")
            }
        }
        try budget?.check(field: "budget")
        for (index, repo) in repos.enumerated() { try repo.budget?.check(field: "repos[\(index)].budget") }
    }
}

extension Budget {
    enum Key: String, CodingKey, CaseIterable { case usd, tokens }

    /// Strict: a misspelt field would silently be no budget at all.
    public init(from decoder: any Decoder) throws {
        try UnknownKeys.check(decoder, allowed: Key.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: Key.self)
        self.init(usd: try container.decodeIfPresent(Double.self, forKey: .usd), tokens: try container.decodeIfPresent(Int.self, forKey: .tokens))
    }
}

extension ModelPrice {
    enum Key: String, CodingKey, CaseIterable { case input, output, cacheWrite, cacheRead }

    public init(from decoder: any Decoder) throws {
        try UnknownKeys.check(decoder, allowed: Key.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: Key.self)
        let input = try container.decode(Double.self, forKey: .input)
        self.init(input: input, output: try container.decode(Double.self, forKey: .output),
                  cacheWrite: try container.decodeIfPresent(Double.self, forKey: .cacheWrite) ?? input * 1.25,
                  cacheRead: try container.decodeIfPresent(Double.self, forKey: .cacheRead) ?? input / 10)
    }
}
