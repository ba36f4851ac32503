import FoundationEssentials
import BurrowSystem

/// What a handler answers: a status, headers and a body given whole or written as it is produced.
public struct HTTPResponse: Sendable {
    public var status: HTTPStatus
    public var headers: HTTPHeaders
    public var body: Body
    /// Called when a streamed body will never be produced (the head failed, or a HEAD request).
    public var onAbandon: (@Sendable () -> Void)?
    /// Set by a handler that speaks on the connection itself from now on (a relay to another server):
    /// the server writes nothing and hands it the connection; it returns whether the connection may
    /// carry a next request (the answer was complete and delimited), else the server closes it.
    public var takeover: (@Sendable (HTTPConnection) async -> Bool)?
    /// Set: the connection is taken over after `101` (see `HTTPUpgrade`); the body is not sent.
    public var upgrade: HTTPUpgrade?

    public enum Body: Sendable {
        case bytes([UInt8])
        /// Written with chunked encoding; the closure's return ends the body.
        case stream(@Sendable (ResponseBodyWriter) async throws -> Void)
    }

    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = [:], body: Body = .bytes([])) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public static func bytes(_ bytes: [UInt8], contentType: String, status: HTTPStatus = .ok) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": contentType], body: .bytes(bytes))
    }

    public static func text(_ text: String, status: HTTPStatus = .ok) -> HTTPResponse {
        bytes(Array(text.utf8), contentType: "text/plain; charset=utf-8", status: status)
    }

    public static func json<T: Encodable>(_ value: T, status: HTTPStatus = .ok) -> HTTPResponse {
        do {
            return bytes(Array(try JSONCoding.encoder.encode(value)), contentType: "application/json", status: status)
        } catch {
            return .error(HTTPError(.internalServerError, "could not encode the response", detail: "\(error)"))
        }
    }

    public static func error(_ error: HTTPError) -> HTTPResponse {
        struct Payload: Encodable { let error: String; let detail: String? }
        let body = (try? JSONCoding.encoder.encode(Payload(error: error.message, detail: error.detail))) ?? Data()
        var response = bytes(Array(body), contentType: "application/json", status: error.status)
        if error.status == .unauthorized { response.headers["WWW-Authenticate"] = "Bearer" }
        return response
    }

    public static func redirect(to location: String, headers extra: HTTPHeaders = [:]) -> HTTPResponse {
        var response = HTTPResponse(status: .found, headers: extra)
        response.headers["Location"] = location
        return response
    }

    /// The status line and headers, with framing headers set from the body and keep-alive choice.
    /// `announceKeepAlive`: an HTTP/1.0 client keeps the connection only when told so. Built as
    /// bytes: it runs once per response.
    package func serializedHead(keepAlive: Bool, isHead: Bool, announceKeepAlive: Bool = false) -> [UInt8] {
        var head: [UInt8] = []
        head.reserveCapacity(256)
        head += "HTTP/1.1 \(status.code) \(status.reason)\r\n".utf8
        for field in headers.fields where !Self.isFraming(field.name) {
            head += field.name.utf8
            head += Self.colon
            head += field.value.utf8
            head += Self.lineEnd
        }
        switch body {
        case .bytes(let bytes):
            if status.code != 204 && status.code != 304 {
                head += Self.contentLength
                head += String(bytes.count).utf8
                head += Self.lineEnd
            }
        case .stream:
            if !isHead { head += Self.chunked }
        }
        if !keepAlive {
            head += Self.connectionClose
        } else if announceKeepAlive {
            head += Self.connectionKeepAlive
        }
        head += Self.lineEnd
        return head
    }

    private static let colon = Array(": ".utf8)
    private static let lineEnd = Array("\r\n".utf8)
    private static let contentLength = Array("Content-Length: ".utf8)
    private static let chunked = Array("Transfer-Encoding: chunked\r\n".utf8)
    private static let connectionClose = Array("Connection: close\r\n".utf8)
    private static let connectionKeepAlive = Array("Connection: keep-alive\r\n".utf8)

    /// Framing and connection fields are the server's to write, whatever a handler set.
    private static func isFraming(_ name: String) -> Bool {
        switch name.utf8.count {
        case 10: name.caseInsensitiveEquals("Connection")
        case 14: name.caseInsensitiveEquals("Content-Length")
        case 17: name.caseInsensitiveEquals("Transfer-Encoding")
        default: false
        }
    }
}

/// Writes a streamed body as chunks; `abort()` drops the connection (a client too far behind).
public struct ResponseBodyWriter: Sendable {
    let connection: HTTPConnection

    public func write(_ bytes: [UInt8]) async throws {
        guard !bytes.isEmpty else { return }
        try await connection.write(ChunkedEncoder.chunk(bytes))
    }

    public func abort() { connection.socket.shutdown() }

    /// Returns once the peer closes the connection (or it is shut down or the task cancelled).
    /// A client has nothing more to send on a streamed response, so anything it sends is discarded.
    public func waitForPeerClose() async {
        var scratch: [UInt8] = []
        while (try? await connection.socket.read(into: &scratch, maxBytes: 4096)).map({ $0 > 0 }) == true {
            scratch.removeAll(keepingCapacity: true)
        }
    }
}
