import BurrowSystem
import BurrowPodman

/// What the model endpoint lets through with the real key: a method and path allowlist, and the
/// request headers worth passing on. Everything else stays inside: the key is good for the Messages
/// API, not for files, batches or the organization's admin routes.
public struct ModelRoutes: Sendable, Equatable {
    /// One entry: `METHOD /path`, where a path segment `*` stands for one id (letters, digits, `-_.`).
    public struct Route: Sendable, Equatable {
        public let method: String
        public let segments: [Substring]

        public init?(_ text: String) {
            let parts = text.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count == 2, parts[0].utf8.allSatisfy({ (0x41...0x5A).contains($0) }), parts[1].hasPrefix("/"),
                  !parts[1].contains("?"), !parts[1].contains("%") else { return nil }
            method = String(parts[0])
            segments = parts[1].split(separator: "/", omittingEmptySubsequences: false).dropFirst().map { $0 }
            guard segments.allSatisfy({ $0 == "*" || ModelRoutes.isPlainSegment($0) }) else { return nil }
        }

        func matches(method candidate: String, segments path: [Substring]) -> Bool {
            candidate == method && path.count == segments.count
                && zip(segments, path).allSatisfy { pattern, segment in pattern == "*" ? ModelRoutes.isPlainSegment(segment) : pattern == segment }
        }
    }

    /// What the real Claude Code (2.1.330) calls, checked through this endpoint: messages (with
    /// `?beta=true`), token counting, and model listing.
    public static let defaultRoutes = ["POST /v1/messages", "POST /v1/messages/count_tokens", "GET /v1/models", "GET /v1/models/*"]

    public let routes: [Route]

    public init(_ entries: [String] = ModelRoutes.defaultRoutes) {
        routes = entries.compactMap(Route.init)
    }

    /// The first entry that is not a route, for config validation.
    public static func invalidEntry(_ entries: [String]) -> String? { entries.first { Route($0) == nil } }

    /// Nil when `method target` may go upstream; otherwise why not. The query is passed on as it is
    /// (`?beta=true`); the path must be plain: no dot segments, no percent-encoding, no empty segment.
    public func refusal(method: String, target: String) -> String? {
        let path = target.prefix { $0 != "?" && $0 != "#" }
        guard path.hasPrefix("/") else { return "\(method) \(target): only origin-form paths reach the model endpoint" }
        let segments = Array(path.split(separator: "/", omittingEmptySubsequences: false).dropFirst())
        if routes.contains(where: { $0.matches(method: method, segments: segments) }) { return nil }
        return "\(method) \(path) is not on the model endpoint's route list (credentials.allowedRoutes)"
    }

    static func isPlainSegment(_ segment: Substring) -> Bool {
        !segment.isEmpty && segment != "." && segment != ".." && segment.utf8.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
        }
    }

    /// Request headers passed upstream; all others (the agent's own `x-api-key`, `authorization`,
    /// cookies, proxy and forwarding headers) are dropped. Seen from the real Claude Code 2.1.330:
    /// Accept, Content-Type, User-Agent, X-Claude-Code-Session-Id, X-Stainless-*, anthropic-beta,
    /// anthropic-dangerous-direct-browser-access, anthropic-version, x-app (plus x-api-key, Host,
    /// Connection, Content-Length and Accept-Encoding, which are not passed on).
    static let forwardedHeaders: Set<String> = [
        "accept", "content-type", "user-agent", "anthropic-version", "anthropic-beta",
        "anthropic-dangerous-direct-browser-access", "x-app", "x-claude-code-session-id",
    ]

    static func forwards(header name: String) -> Bool {
        let lowered = name.lowercased()
        return forwardedHeaders.contains(lowered) || lowered.hasPrefix("x-stainless-")
    }
}
