import FoundationEssentials
import BurrowSystem

/// A parsed request: the head as it came, and the whole body (bodies are bounded by `HTTPLimits`).
public struct HTTPRequest: Sendable {
    public var method: HTTPMethod
    /// The request target exactly as sent (`/api/x?y=1`).
    public var target: String
    /// The percent-decoded path, without the query.
    public var path: String
    public var query: [QueryItem]
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// Filled in by the router from `{name}` segments of the matched pattern.
    public var pathParameters: [String: String] = [:]

    public struct QueryItem: Sendable, Equatable {
        public var name: String
        public var value: String
    }

    public init(method: HTTPMethod, target: String, version: HTTPVersion = .http11, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.body = body
        let (path, query) = RequestTarget.split(target)
        self.path = path
        self.query = query
    }

    public func queryValue(_ name: String) -> String? {
        query.first { $0.name == name }?.value
    }

    public func parameter(_ name: String) -> String? { pathParameters[name] }

    /// Decodes a JSON body, answering 400 with the decoder's reason when it does not fit.
    public func decodeJSON<T: Decodable>(_ type: T.Type) throws(HTTPError) -> T {
        guard !body.isEmpty else { throw HTTPError(.badRequest, "a JSON body is required") }
        do {
            return try JSONDecoder().decode(T.self, from: Data(body))
        } catch {
            throw HTTPError(.badRequest, "the request body is not valid JSON for this route", detail: JSONErrorText.describe(error))
        }
    }

    /// Keep-alive is the HTTP/1.1 default; HTTP/1.0 needs `Connection: keep-alive`.
    public var wantsKeepAlive: Bool {
        if headers.hasToken("close", in: "Connection") { return false }
        return version == .http11 || headers.hasToken("keep-alive", in: "Connection")
    }
}

public enum HTTPVersion: String, Sendable {
    case http10 = "HTTP/1.0"
    case http11 = "HTTP/1.1"
}
