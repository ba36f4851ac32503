import BurrowSystem
import BurrowHTTP
import BurrowKit

/// Everything that arrives with a preview `Host`: the sign-in step, the session check, then the
/// relay to the burrow's port. Nothing here reaches Burrow's API or its files.
public struct PreviewGateway: Sendable {
    public static let signInPath = "/.burrow/preview"
    let manager: BurrowManager
    public let sessions = PreviewSessions()
    let listenPort: UInt16
    let responseTimeout: Duration
    let budget: PreviewBudget

    public init(manager: BurrowManager, listenPort: UInt16, responseTimeout: Duration = .seconds(30), maxConnections: Int = 256) {
        self.manager = manager
        self.listenPort = listenPort
        self.responseTimeout = responseTimeout
        self.budget = PreviewBudget(limit: maxConnections)
    }

    /// The preview a request is addressed to, if any.
    public func preview(_ request: HTTPRequest) -> PreviewHost? {
        PreviewHost.parse(request.headers["Host"], listenPort: listenPort)
    }

    /// The one-time link that signs the browser in on `preview`'s origin.
    public func signInURL(_ preview: PreviewHost) -> String {
        "http://\(preview.host(listenPort: listenPort))\(Self.signInPath)?code=\(sessions.issueCode(for: preview))"
    }

    public func respond(to request: HTTPRequest, preview: PreviewHost) async -> HTTPResponse {
        if request.path == Self.signInPath { return signIn(request, preview) }
        guard sessions.admits(cookie(request), to: preview) else {
            return PreviewPage.response(.unauthorized, "You are not signed in to this preview. Open it from the burrow's page in Burrow (\"Open :\(preview.port)\"): that link signs this tab in.")
        }
        if let blocker = await manager.previewBlocker(preview.id) { return page(for: blocker) }
        guard budget.take() else { return page(for: .busy(limit: budget.limit)) }
        let upstream: AsyncSocket
        do {
            upstream = try await manager.previewConnection(preview.id, port: preview.port)
        } catch {
            budget.give()
            return page(for: error as? PreviewError ?? .relayFailed("\(error)"))
        }
        var response = HTTPResponse()
        let budget = self.budget, timeout = responseTimeout
        response.takeover = { connection in
            defer { budget.give() }
            return await PreviewForwarding.relay(connection, upstream: upstream, request: request, timeout: timeout)
        }
        return response
    }

    private func signIn(_ request: HTTPRequest, _ preview: PreviewHost) -> HTTPResponse {
        guard let code = request.queryValue("code"), let session = sessions.redeem(code, for: preview) else {
            return PreviewPage.response(.forbidden, "This preview link was used already or has expired. Open the preview again from the burrow's page in Burrow.")
        }
        return .redirect(to: "/", headers: [
            "Set-Cookie": "\(PreviewSessions.cookieName)=\(session); Path=/; HttpOnly; SameSite=Lax",
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
        ])
    }

    private func page(for error: PreviewError) -> HTTPResponse {
        switch error {
        case .unknownBurrow, .notListening: PreviewPage.response(.notFound, error.description)
        case .notRunning, .busy: PreviewPage.response(.serviceUnavailable, error.description)
        case .refused, .relayFailed: PreviewPage.response(.badGateway, error.description)
        }
    }

    private func cookie(_ request: HTTPRequest) -> String? {
        for header in request.headers.values("Cookie") {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0].trimmingSpaces == PreviewSessions.cookieName { return String(parts[1].trimmingSpaces) }
            }
        }
        return nil
    }
}
