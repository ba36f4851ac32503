import BurrowSystem
import BurrowHTTP
import BurrowPodman
import BurrowKit

/// The rules every request passes before routing:
/// - `Host` must name this server (DNS-rebinding defence): the listen address, localhost or 127.0.0.1.
/// - A state-changing request with a foreign `Origin` is refused (cross-site defence).
/// - `/api/` needs the token, as the `burrow_token` cookie or `Authorization: Bearer`.
/// - `/?token=…` with the right token sets the cookie and redirects to `/`.
public struct AccessControl: Sendable {
    public static let cookieName = "burrow_token"
    let token: String
    let allowedHosts: Set<String>

    public init(token: String, listen: SocketAddress, extraHosts: [String] = []) {
        self.token = token
        var hosts = Set(extraHosts.map { $0.lowercased() })
        if let port = listen.port {
            hosts.formUnion(["localhost:\(port)", "127.0.0.1:\(port)", "[::1]:\(port)", listen.description.lowercased()])
        }
        self.allowedHosts = hosts
    }

    /// A response refusing the request, or nil to let it through.
    public func check(_ request: HTTPRequest) -> HTTPResponse? {
        guard let host = request.headers["Host"]?.lowercased(), allowedHosts.contains(host) else {
            return .error(HTTPError(.forbidden, "unexpected Host header",
                                    detail: "Burrow answers only requests addressed to itself (\(allowedHosts.sorted().joined(separator: ", "))); add other names to \"allowedHosts\" in the config"))
        }
        let changesState = !["GET", "HEAD", "OPTIONS"].contains(request.method)
        if changesState, let origin = request.headers["Origin"], !isOwnOrigin(origin) {
            return .error(HTTPError(.forbidden, "cross-origin request refused", detail: "Origin \(origin) is not this Burrow"))
        }
        if request.path.hasPrefix("/api/") || request.path == "/api" {
            // Previews (`*.localhost`) are the same site as a Burrow opened on localhost, so the
            // SameSite cookie goes along with their requests: the browser's own word that a request
            // comes from another origin refuses it, whatever its method.
            if let site = request.headers["Sec-Fetch-Site"]?.lowercased(), site == "same-site" || site == "cross-site" {
                return .error(HTTPError(.forbidden, "a request from another site refused", detail: "Burrow's API answers only its own page (Sec-Fetch-Site: \(site))"))
            }
            guard let presented = presentedToken(request), AccessToken.matches(presented, token) else {
                return .error(HTTPError(.unauthorized, "missing or wrong access token",
                                        detail: "open the URL that `burrow serve` printed at start-up (it ends in ?token=…), or send Authorization: Bearer <token>"))
            }
        }
        return nil
    }

    /// Handles `GET /?token=…`: sets the cookie and redirects, or explains a wrong token.
    public func login(_ request: HTTPRequest) -> HTTPResponse? {
        guard request.method == "GET", request.path == "/", let presented = request.queryValue("token") else { return nil }
        guard AccessToken.matches(presented, token) else {
            return .error(HTTPError(.unauthorized, "wrong access token", detail: "use the URL printed by `burrow serve`, or the token in <stateDir>/token"))
        }
        return .redirect(to: "/", headers: [
            "Set-Cookie": "\(Self.cookieName)=\(token); Path=/; HttpOnly; SameSite=Strict",
            "Cache-Control": "no-store",
        ])
    }

    func presentedToken(_ request: HTTPRequest) -> String? {
        if let authorization = request.headers["Authorization"], authorization.hasPrefix("Bearer ") {
            return String(authorization.dropFirst(7)).trimmingCharacters()
        }
        for header in request.headers.values("Cookie") {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0].trimmingSpaces == Self.cookieName { return String(parts[1].trimmingSpaces) }
            }
        }
        return nil
    }

    func isOwnOrigin(_ origin: String) -> Bool {
        let lowered = origin.lowercased()
        guard lowered.hasPrefix("http://") else { return false }
        return allowedHosts.contains(String(lowered.dropFirst(7)))
    }
}

extension String {
    func trimmingCharacters() -> String { String(trimmingSpaces) }
}
