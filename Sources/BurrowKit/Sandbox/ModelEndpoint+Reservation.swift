import BurrowSystem
import BurrowHTTP
import BurrowPodman

/// What a request may cost at most, reserved against the burrow's budget before it goes upstream.
///
/// Input: one token per byte of the body. Every token of text covers at least one byte of it, so
/// no prompt written into the body can cost more input tokens than it has bytes (the JSON around
/// it only adds bytes). Priced at the dearest input rate (a cache write, 1.25× input), as the
/// request may miss the cache. Output: `max_tokens` at the output price. Images, PDFs, documents
/// fetched by URL and server tools are charged by the API in other ways: their excess over this is
/// settled after the answer, which is why the guarantee is "at most one answer's excess".
extension ModelEndpoint {
    struct Ceiling {
        let hold: BudgetGate.Hold
        /// The requested model's price: settles an answer whose own model id the table lacks.
        let price: ModelPrice?
    }

    /// Nil: no budget, nothing to reserve. A refusal says what the agent must change.
    func ceiling(method: String, target: String, body: [UInt8]) -> Result<Ceiling?, CeilingRefusal> {
        guard let limit = budget.limit else { return .success(nil) }
        let path = target.prefix { $0 != "?" && $0 != "#" }
        // Model listing and token counting are free: nothing to reserve.
        if method == "GET" || method == "HEAD" || path.hasSuffix("/count_tokens") {
            return .success(Ceiling(hold: BudgetGate.Hold(usd: 0, tokens: 0), price: nil))
        }
        let terms: RequestTerms
        switch RequestTerms.scan(body) {
        case .success(let scanned): terms = scanned
        case .failure(let why): return .failure(CeilingRefusal("the model endpoint cannot price this request under the burrow's budget: \(why)"))
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
        let input = body.count
        let usd = price.map { price in
            (Double(input) * max(price.input, price.cacheWrite, price.cacheRead) + Double(maxTokens) * price.output) / 1_000_000
        } ?? 0
        return .success(Ceiling(hold: BudgetGate.Hold(usd: usd, tokens: input + maxTokens), price: price))
    }

    struct CeilingRefusal: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }
}
