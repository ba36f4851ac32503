import BurrowSystem

/// Method + path-pattern routing. Patterns are literal segments and `{name}` parameters:
/// `/api/burrows/{id}/events`. A path that matches with another method answers 405.
public struct Router: Sendable {
    public typealias Handler = @Sendable (HTTPRequest) async throws -> HTTPResponse

    struct Route: Sendable {
        let method: HTTPMethod
        let segments: [Segment]
        let maxBodyBytes: Int?
        let handler: Handler
    }

    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    private var routes: [Route] = []

    public init() {}

    public mutating func add(_ method: HTTPMethod, _ pattern: String, maxBodyBytes: Int? = nil, _ handler: @escaping Handler) {
        let segments = Self.split(pattern).map { part -> Segment in
            part.hasPrefix("{") && part.hasSuffix("}") ? .parameter(String(part.dropFirst().dropLast())) : .literal(String(part))
        }
        routes.append(Route(method: method, segments: segments, maxBodyBytes: maxBodyBytes, handler: handler))
    }

    public mutating func get(_ pattern: String, _ handler: @escaping Handler) { add("GET", pattern, handler) }
    public mutating func post(_ pattern: String, maxBodyBytes: Int? = nil, _ handler: @escaping Handler) {
        add("POST", pattern, maxBodyBytes: maxBodyBytes, handler)
    }
    public mutating func delete(_ pattern: String, _ handler: @escaping Handler) { add("DELETE", pattern, handler) }

    /// The body limit of the route a request head would reach, when the route sets one.
    public func maxBodyBytes(method: HTTPMethod, path: String) -> Int? {
        let parts = Self.split(path)
        return routes.first { $0.method == method && Self.match($0.segments, parts) != nil }?.maxBodyBytes
    }

    /// Whether any route matches `path`, whatever the method.
    public func matches(path: String) -> Bool {
        let parts = Self.split(path)
        return routes.contains { Self.match($0.segments, parts) != nil }
    }

    /// Runs the matching handler; thrown `HTTPError`s (and errors that say which one they are) become
    /// their response, anything else a 500.
    public func respond(to request: HTTPRequest) async -> HTTPResponse? {
        let parts = Self.split(request.path)
        var allowed: [String] = []
        for route in routes {
            guard let parameters = Self.match(route.segments, parts) else { continue }
            let method = request.method == .head ? .get : request.method
            guard route.method == method else {
                allowed.append(route.method.rawValue)
                continue
            }
            var request = request
            request.pathParameters = parameters
            do {
                return try await route.handler(request)
            } catch let error as HTTPError {
                return .error(error)
            } catch let error as any HTTPErrorConvertible {
                return .error(error.httpError)
            } catch {
                return .error(HTTPError(.internalServerError, "the request failed", detail: "\(error)"))
            }
        }
        if allowed.isEmpty { return nil }
        var response = HTTPResponse.error(HTTPError(.methodNotAllowed, "\(request.method) is not allowed on \(request.path)"))
        response.headers["Allow"] = Set(allowed).sorted().joined(separator: ", ")
        return response
    }

    static func split(_ path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }

    static func match(_ segments: [Segment], _ parts: [Substring]) -> [String: String]? {
        guard segments.count == parts.count else { return nil }
        var parameters: [String: String] = [:]
        for (segment, part) in zip(segments, parts) {
            switch segment {
            case .literal(let literal): if literal != part { return nil }
            case .parameter(let name): parameters[name] = String(part)
            }
        }
        return parameters
    }
}
