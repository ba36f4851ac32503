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
    let serverTools: ServerTools
    public let budget: BudgetGate
    /// Request bodies in flight: this burrow's, then all burrows' through the same vault.
    let admissions: [BodyAdmission]
    static let maxRequestBytes = 32 << 20

    package init(vault: ModelVault, routes: ModelRoutes = ModelRoutes(), prices: ModelPrices = ModelPrices(), serverTools: ServerTools = ServerTools(),
                 budget: BudgetGate = BudgetGate(limit: nil), bodies: BodyAdmission = BodyAdmission(limit: BodyAdmission.perBurrowBytes)) {
        self.upstream = vault.upstream
        self.vault = vault
        self.routes = routes
        self.prices = prices
        self.serverTools = serverTools
        self.budget = budget
        admissions = [bodies, vault.bodies]
    }

    /// An endpoint with a vault of its own (tests, benchmarks).
    public convenience init(upstream: URL, credential: Credential, routes: ModelRoutes = ModelRoutes(), prices: ModelPrices = ModelPrices(),
                            serverTools: ServerTools = ServerTools(), budget: BudgetGate = BudgetGate(limit: nil)) {
        self.init(vault: ModelVault(upstream: upstream) { credential }, routes: routes, prices: prices, serverTools: serverTools, budget: budget)
    }

    /// Serves one request; returns whether the connection may carry another. In order: route and
    /// spent budget on arrival; room for the body before a byte of it is read; what the body would
    /// have Anthropic's servers do (a refusal costs and reserves nothing); then the request's worst
    /// case reserved against the budget; only then the vault.
    func forward(_ head: RequestHead, _ connection: HTTPConnection, report: EgressProxy.Report) async throws -> Bool {
        let started = Monotonic.now()
        var event = NetEvent(phase: .model, host: upstream.host ?? "", port: UInt16(upstream.port ?? (upstream.scheme == "https" ? 443 : 80)),
                             allowed: true, method: head.method.rawValue, path: String(head.target.prefix(2048)), bytesSent: 0, bytesReceived: 0)
        let framing = try HeadParser.requestFraming(head.headers).get()
        if let refusal = routes.refusal(method: head.method.rawValue, target: head.target) {
            return try await refuse(&event, refusal, Self.apiError(refusal, status: .forbidden, type: "permission_error"), connection, report)
        }
        if let refusal = budget.refusal {
            event.budgetReached = true
            return try await refuse(&event, refusal, Self.budgetError(refusal), connection, report)
        }
        var admitted: AdmittedBody
        switch AdmittedBody.admit(Self.admittedBytes(framing), into: admissions) {
        case .success(let body):
            admitted = body
        case .failure(let busy):
            let refused = try await refuse(&event, busy.message, Self.busyError(busy.message), connection, report)
            // Read off what the agent still sends, keeping none of it, so that it reads the answer.
            try? await connection.discardBody(framing, limit: Self.maxRequestBytes)
            return refused
        }
        defer { admitted.release() }
        let body = try await connection.readBody(framing, limit: Self.maxRequestBytes)
        admitted = admitted.shrunk(to: body.count)  // a chunked body was admitted at the most it could be
        event.bytesSent = body.count
        let beta = Self.betas(head.headers)
        // A body the endpoint cannot read could hold what it refuses: it does not go either.
        let terms: RequestTerms
        switch body.isEmpty ? .success(RequestTerms()) : RequestTerms.scan(body) {
        case .success(let read): terms = read
        case .failure(let why):
            let message = "Burrow's model endpoint cannot read this request's JSON body: \(why)"
            return try await refuse(&event, message, Self.apiError(message, status: .badRequest, type: "invalid_request_error"), connection, report)
        }
        if let refusal = serverTools.refusal(beta: beta, terms: terms) {
            event.decidedBy = "policy"
            event.rule = ServerTools.configKey
            return try await refuse(&event, refusal, Self.apiError(refusal, status: .forbidden, type: "permission_error"), connection, report)
        }
        let ceiling: Ceiling?
        switch self.ceiling(method: head.method.rawValue, target: head.target, beta: beta, terms: terms) {
        case .success(let found): ceiling = found
        case .failure(let refusal):
            return try await refuse(&event, refusal.message, Self.apiError(refusal.message, status: .badRequest, type: "invalid_request_error"),
                                      connection, report)
        }
        if let ceiling, let refusal = budget.reserve(ceiling.hold) {
            // Only a spent budget stops the burrow; room held by requests in flight is worth a retry.
            guard refusal.final else { return try await refuse(&event, refusal.message, Self.busyError(refusal.message), connection, report) }
            event.budgetReached = true
            return try await refuse(&event, refusal.message, Self.budgetError(refusal.message), connection, report)
        }
        let keepAlive = !head.headers.hasToken("close", in: "Connection") && head.version == "HTTP/1.1"
        event.credential = "anthropic"  // the vault adds it from here on
        return try await relay(vaultRequest(head, body: body), ceiling: ceiling, keepAlive: keepAlive, connection, &event, started: started, report)
    }

    /// Every `anthropic-beta` value, of every such header line (the upstream reads them all).
    static func betas(_ headers: HTTPHeaders) -> String {
        headers.filter { $0.name.lowercased() == "anthropic-beta" }.map(\.value).joined(separator: ",")
    }

    /// Bytes to admit before reading: the declared length, or the most a chunked body may be.
    static func admittedBytes(_ framing: BodyFraming) -> Int {
        switch framing {
        case .none: return 0
        case .length(let length): return min(length, maxRequestBytes)
        case .chunked, .untilClose: return maxRequestBytes
        }
    }

    private func refuse(_ event: inout NetEvent, _ reason: String, _ response: HTTPResponse, _ connection: HTTPConnection,
                        _ report: EgressProxy.Report) async throws -> Bool {
        event.phase = .denied
        event.allowed = false
        event.reason = reason
        await report(event)
        try await connection.send(response, keepAlive: false)
        return false
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
}
