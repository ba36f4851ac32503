import BurrowSystem
import BurrowPodman

/// What a request may cost at most, reserved against the burrow's budget before it goes upstream.
///
/// Input: the model's whole context window (200,000 tokens; 1,000,000 when the request asks for the
/// 1M-context beta). No request is billed more input than its window — a longer one is refused by the
/// API for nothing — whatever the body holds: text, but also images, PDFs and documents fetched by
/// URL, whose tokens its bytes do not bound. Priced at the dearest input rate (a cache write, 1.25×
/// input), as the request may miss the cache. Output: `max_tokens` at the output price. What this
/// cannot bound: server tools (web search, web fetch, code execution) run several model iterations
/// and per-use fees inside one request; their excess is settled after the answer.
extension ModelEndpoint {
    struct Ceiling {
        let hold: BudgetGate.Hold
        /// The requested model's price: settles an answer whose own model id the table lacks.
        let price: ModelPrice?
    }

    /// Nil: no budget, nothing to reserve. A refusal says what the agent must change.
    func ceiling(method: String, target: String, beta: String?, terms: RequestTerms) -> Result<Ceiling?, CeilingRefusal> {
        guard let limit = budget.limit else { return .success(nil) }
        let path = target.prefix { $0 != "?" && $0 != "#" }
        // Model listing and token counting are free: nothing to reserve.
        if method == "GET" || method == "HEAD" || path.hasSuffix("/count_tokens") {
            return .success(Ceiling(hold: BudgetGate.Hold(usd: 0, tokens: 0), price: nil))
        }
        guard let maxTokens = terms.maxTokens else {
            return .failure(CeilingRefusal("max_tokens is required under a budget (the Messages API requires it too)"))
        }
        let price = terms.model.flatMap(prices.price(for:))
        if limit.usd != nil && price == nil {
            let name = terms.model.map { "model \"\($0)\"" } ?? "a request without a model"
            return .failure(CeilingRefusal("\(name) has no price in Burrow's table, so a dollar budget cannot bound it: "
                + "add it under `prices` in the config, or use a model the table knows"))
        }
        let input = Self.contextWindow(beta: beta)
        let usd = price.map { price in
            (Double(input) * max(price.input, price.cacheWrite, price.cacheRead) + Double(maxTokens) * price.output) / 1_000_000
        } ?? 0
        return .success(Ceiling(hold: BudgetGate.Hold(usd: usd, tokens: input + maxTokens), price: price))
    }

    /// The most input tokens one request can be billed: its model's context window.
    static func contextWindow(beta: String?) -> Int {
        (beta ?? "").lowercased().contains("context-1m") ? 1_000_000 : 200_000
    }

    struct CeilingRefusal: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }
}
