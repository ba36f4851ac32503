import BurrowSystem
import BurrowHTTP
import BurrowPodman
import BurrowKit

/// Burrow's web application: access rules, then the API router (and webhook triggers), then the static UI.
public struct Application: Sendable {
    public let router: Router
    public let access: AccessControl
    public let staticFiles: StaticFiles?
    public let previews: PreviewGateway?

    public init(router: Router, access: AccessControl, staticFiles: StaticFiles?, previews: PreviewGateway? = nil) {
        self.router = router
        self.access = access
        self.staticFiles = staticFiles
        self.previews = previews
    }

    public func handle(_ request: HTTPRequest) async -> HTTPResponse {
        // A preview's origin is the burrow's server, never Burrow: its requests go nowhere else, and
        // one aimed at an API route is refused outright.
        if let previews, let preview = previews.preview(request) {
            if router.matches(path: request.path) {
                return .error(HTTPError(.forbidden, "Burrow's API is not served on a preview origin", detail: "a previewed page cannot call Burrow"))
            }
            return await previews.respond(to: request, preview: preview)
        }
        if let refusal = access.check(request) { return refusal }
        if let login = access.login(request) { return login }
        // `/hooks/`: webhook triggers, admitted by their signature instead of the token (TriggerRoutes).
        if request.path.hasPrefix("/api/") || request.path == "/api" || request.path.hasPrefix("/hooks/") {
            return await router.respond(to: request)
                ?? .error(HTTPError(.notFound, "no API route \(request.method) \(request.path)"))
        }
        if let file = staticFiles?.respond(to: request) { return file }
        if staticFiles == nil && request.path == "/" {
            return .text("Burrow is running, but its UI folder (Public/) was not found. Set \"publicDir\" in the config.", status: .notFound)
        }
        return .error(HTTPError(.notFound, "not found"))
    }

    /// An HTTP server for this application on an already bound listener.
    public func makeServer(listener: AsyncSocket, limits: HTTPLimits = HTTPLimits(), timeouts: ServerTimeouts = ServerTimeouts()) -> HTTPServer {
        let router = self.router
        return HTTPServer(
            listener: listener, limits: limits, timeouts: timeouts,
            bodyLimit: { method, path in router.maxBodyBytes(method: method, path: path) },
            handler: { request in await self.handle(request) })
    }
}
