import Foundation
import BurrowSystem
import BurrowHTTP
import BurrowPodman
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Burrow's model endpoint: the burrow's `ANTHROPIC_BASE_URL`, holding the key like a vault. A
/// request is checked against the route list and the burrow's budget; it leaves for the upstream
/// (default https://api.anthropic.com) with only the allowlisted headers plus the real credential,
/// and the answer streams back piece by piece as it comes, its `usage` metered on the way. Redirects
/// are returned, never followed. URLSession makes the upstream request, so TLS needs no package.
public final class ModelEndpoint: Sendable {
    public let upstream: URL
    let credential: Credential
    let routes: ModelRoutes
    let prices: ModelPrices
    public let budget: BudgetGate
    private let session = UpstreamSession()
    static let maxRequestBytes = 32 << 20

    public init(upstream: URL, credential: Credential, routes: ModelRoutes = ModelRoutes(), prices: ModelPrices = ModelPrices(),
                budget: BudgetGate = BudgetGate(limit: nil)) {
        self.upstream = upstream
        self.credential = credential
        self.routes = routes
        self.prices = prices
        self.budget = budget
    }

    /// Serves one request; returns whether the connection may carry another.
    func forward(_ head: MessageHead, _ connection: HTTPConnection, report: EgressProxy.Report) async throws -> Bool {
        let started = Monotonic.now()
        var event = NetEvent(phase: .model, host: upstream.host ?? "", port: UInt16(upstream.port ?? (upstream.scheme == "https" ? 443 : 80)),
                             allowed: true, method: head.first, path: String(head.second.prefix(2048)), bytesSent: 0, bytesReceived: 0)
        if let refusal = routes.refusal(method: head.first, target: head.second) ?? budget.refusal {
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
        let keepAlive = !head.headers.hasToken("close", in: "Connection") && head.third == "HTTP/1.1"
        let stream = session.start(request(head, body: body))
        defer { stream.cancel() }
        do {
            guard case .head(let response) = try await stream.next() else { throw URLError(.badServerResponse) }
            event.status = response.statusCode
            var headers = HTTPHeaders()
            for (name, value) in response.allHeaderFields {
                guard let name = name as? String, let value = value as? String, !Self.droppedFromResponse.contains(name.lowercased()) else { continue }
                headers.add(name, value)
            }
            var meter = UsageMeter(contentType: response.value(forHTTPHeaderField: "Content-Type"))
            let status = HTTPStatus(response.statusCode, HTTPURLResponse.localizedString(forStatusCode: response.statusCode))
            // The body follows piece by piece below, counted as it goes; the head says chunked.
            let head = HTTPResponse(status: status, headers: headers, body: .stream({ _ in }))
            try await connection.write(head.serializedHead(keepAlive: keepAlive, isHead: false))
            var received = 0
            do {
                while case .data(let piece)? = try await stream.next() {
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
        } catch let error as HTTPClientError {
            throw error
        } catch {
            guard event.status == nil else { return false }
            event.reason = "\(error)"
            let message = "Burrow's model endpoint cannot reach \(upstream.absoluteString): \(error)"
            try? await connection.send(Self.apiError(message, status: .badGateway, type: "api_error"), keepAlive: keepAlive)
            event.durationMs = Double(Monotonic.now() - started) / 1e6
            await report(event)
            return keepAlive
        }
        return keepAlive
    }

    /// The upstream request: the same method, path and query, the allowlisted headers, the real key.
    private func request(_ head: MessageHead, body: [UInt8]) -> URLRequest {
        var request = URLRequest(url: URL(string: upstream.absoluteString.trimmingSuffix("/") + head.second) ?? upstream)
        request.httpMethod = head.first
        for field in head.headers where ModelRoutes.forwards(header: field.name) {
            request.addValue(field.value, forHTTPHeaderField: field.name)
        }
        for (name, value) in credential.headers {
            if name == "anthropic-beta", let existing = request.value(forHTTPHeaderField: name) {
                request.setValue(existing + "," + value, forHTTPHeaderField: name)
            } else {
                request.setValue(value, forHTTPHeaderField: name)
            }
        }
        if !body.isEmpty && head.first != "GET" && head.first != "HEAD" { request.httpBody = Data(body) }
        return request
    }

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

extension String {
    func trimmingSuffix(_ suffix: String) -> String { hasSuffix(suffix) ? String(dropLast(suffix.count)) : self }
}
