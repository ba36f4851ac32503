import FoundationEssentials
import BurrowSystem
import BurrowHTTP
import BurrowPodman

/// Burrow's model endpoint: the burrow's `ANTHROPIC_BASE_URL`, holding the key like a vault. A
/// request is checked against the route list and the burrow's budget; it leaves for the upstream
/// (default https://api.anthropic.com) with only the allowlisted headers plus the real credential,
/// and the answer streams back piece by piece as it comes, its `usage` metered on the way. Redirects
/// are returned, never followed. The upstream request itself is made by `burrow-vault`, the helper
/// process that alone holds the credential (and the TLS stack), through `ModelVault`.
public final class ModelEndpoint: Sendable {
    public let upstream: URL
    let vault: ModelVault
    let routes: ModelRoutes
    let prices: ModelPrices
    public let budget: BudgetGate
    static let maxRequestBytes = 32 << 20

    package init(vault: ModelVault, routes: ModelRoutes = ModelRoutes(), prices: ModelPrices = ModelPrices(),
                 budget: BudgetGate = BudgetGate(limit: nil)) {
        self.upstream = vault.upstream
        self.vault = vault
        self.routes = routes
        self.prices = prices
        self.budget = budget
    }

    /// An endpoint with a vault of its own (tests, benchmarks).
    public convenience init(upstream: URL, credential: Credential, routes: ModelRoutes = ModelRoutes(), prices: ModelPrices = ModelPrices(),
                            budget: BudgetGate = BudgetGate(limit: nil)) {
        self.init(vault: ModelVault(upstream: upstream) { credential }, routes: routes, prices: prices, budget: budget)
    }

    /// Serves one request; returns whether the connection may carry another.
    func forward(_ head: RequestHead, _ connection: HTTPConnection, report: EgressProxy.Report) async throws -> Bool {
        let started = Monotonic.now()
        var event = NetEvent(phase: .model, host: upstream.host ?? "", port: UInt16(upstream.port ?? (upstream.scheme == "https" ? 443 : 80)),
                             allowed: true, method: head.method.rawValue, path: String(head.target.prefix(2048)), bytesSent: 0, bytesReceived: 0)
        if let refusal = routes.refusal(method: head.method.rawValue, target: head.target) ?? budget.refusal {
            event.phase = .denied
            event.allowed = false
            event.reason = refusal
            if budget.refusal == refusal { event.budgetReached = true }
            await report(event)
            try await connection.send(Self.apiError(refusal, budget: budget.refusal == refusal), keepAlive: false)
            return false
        }
        let body = try await connection.readBody(try HeadParser.requestFraming(head.headers).get(), limit: Self.maxRequestBytes)
        event.bytesSent = body.count
        let keepAlive = !head.headers.hasToken("close", in: "Connection") && head.version == "HTTP/1.1"
        let answer: ResponseStream
        do {
            answer = try await vault.client().open(vaultRequest(head, body: body))
            if let failure = answer.headers[Self.vaultErrorHeader] {
                answer.close()
                throw ModelVault.Unavailable(description: failure)
            }
        } catch {
            event.reason = "\(error)"
            let message = "Burrow's model endpoint cannot reach \(upstream.absoluteString): \(error)"
            try? await connection.send(Self.apiError(message, status: .badGateway, type: "api_error"), keepAlive: keepAlive)
            event.durationMs = Double(Monotonic.now() - started) / 1e6
            await report(event)
            return keepAlive
        }
        defer { answer.close() }
        event.status = answer.status
        var headers = HTTPHeaders()
        for field in answer.headers where !Self.droppedFromResponse.contains(field.name.lowercased()) { headers.add(field.name, field.value) }
        var meter = UsageMeter(contentType: answer.headers["Content-Type"])
        // The body follows piece by piece below, counted as it goes; the head says chunked.
        let response = HTTPResponse(status: HTTPStatus(answer.status, HTTPStatus.reason(answer.status)), headers: headers, body: .stream({ _ in }))
        var received = 0
        do {
            try await connection.write(response.serializedHead(keepAlive: keepAlive, isHead: false))
            while let piece = try await answer.next() {
                received += piece.count
                meter.feed(piece)
                try await connection.write(ChunkedEncoder.chunk(piece))
            }
            try await connection.write(ChunkedEncoder.end)
        } catch {
            // The agent left or the upstream broke mid-answer: what was used is still counted.
            meter.finish()
            await account(&event, meter, received: received, started: started, report: report)
            throw error
        }
        meter.finish()
        await account(&event, meter, received: received, started: started, report: report)
        return keepAlive
    }

    /// What the vault gets: the same method, path and query, and only the allowlisted headers; the
    /// vault adds the credential.
    private func vaultRequest(_ head: RequestHead, body: [UInt8]) -> ClientRequest {
        var headers = HTTPHeaders()
        var contentType = "application/json"
        for field in head.headers where ModelRoutes.forwards(header: field.name) {
            if field.name.lowercased() == "content-type" { contentType = field.value } else { headers.add(field.name, field.value) }
        }
        let sendsBody = !body.isEmpty && head.method != "GET" && head.method != "HEAD"
        return ClientRequest(head.method, head.target, headers: headers, body: sendsBody ? .bytes(body, contentType: contentType) : .none)
    }

    static let vaultErrorHeader = "X-Burrow-Vault-Error"

    /// Prices what the meter read, adds it to the burrow's account and reports the request.
    private func account(_ event: inout NetEvent, _ meter: UsageMeter, received: Int, started: UInt64, report: EgressProxy.Report) async {
        event.bytesReceived = received
        event.durationMs = Double(Monotonic.now() - started) / 1e6
        if let usage = meter.usage {
            event.model = meter.model.map { String($0.prefix(100)) }
            event.usage = usage
            event.costUSD = meter.model.flatMap(prices.price(for:))?.cost(usage)
            budget.add(model: event.model, usage: usage, cost: event.costUSD)
        }
        await report(event)
    }

    /// An answer in the Anthropic API's error shape. A budget refusal is a 429 with
    /// `x-should-retry: false`: the real Claude Code then stops at once (a 400 was retried 5 times).
    static func apiError(_ message: String, budget: Bool) -> HTTPResponse {
        budget ? apiError(message, status: HTTPStatus(429, "Too Many Requests"), type: "rate_limit_error")
            : apiError(message, status: .forbidden, type: "permission_error")
    }

    static func apiError(_ message: String, status: HTTPStatus, type: String) -> HTTPResponse {
        struct Body: Encodable { let type = "error"; let error: Detail }
        struct Detail: Encodable { let type: String; let message: String }
        var response = HTTPResponse.json(Body(error: Detail(type: type, message: message)), status: status)
        response.headers["x-should-retry"] = "false"
        return response
    }

    static let droppedFromResponse: Set<String> = EgressProxy.hopByHop.union(["content-length", "transfer-encoding", "content-encoding", "set-cookie"])
}
