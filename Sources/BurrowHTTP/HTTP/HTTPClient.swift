import Synchronization
import BurrowSystem

/// A request as the client sends it. A streamed body is sent with chunked encoding, so a large tar
/// never has to be held in memory.
public struct ClientRequest: Sendable {
    public enum Body: Sendable {
        case none
        case bytes([UInt8], contentType: String)
        case stream(contentType: String, @Sendable (ClientBodyWriter) async throws -> Void)
    }

    public var method: HTTPMethod
    public var target: String
    public var headers: HTTPHeaders
    public var body: Body
    /// The `Host` header; any value does for Podman (`d` is customary), a Burrow wants its own address.
    public var host = "d"

    public init(_ method: HTTPMethod, _ target: String, headers: HTTPHeaders = [:], body: Body = .none) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
    }
}

public struct ClientBodyWriter: Sendable {
    let connection: HTTPConnection
    public func write(_ bytes: [UInt8]) async throws {
        guard !bytes.isEmpty else { return }
        try await HTTPClient.write(ChunkedEncoder.chunk(bytes), on: connection)
    }
}

public struct ClientResponse: Sendable {
    public let status: Int
    public let headers: HTTPHeaders
    public let body: [UInt8]
    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// A response whose body is read piece by piece as it arrives (logs, events). Owns its connection
/// until the body ends or `close()` is called.
public final class ResponseStream: @unchecked Sendable {
    // @unchecked: one consumer task reads it at a time; `close` only shuts the socket down.
    public let status: Int
    public let headers: HTTPHeaders
    private let connection: HTTPConnection
    private var framing: BodyFraming
    private var decoder = ChunkedDecoder()
    private var remaining = 0
    private var finished = false

    init(status: Int, headers: HTTPHeaders, framing: BodyFraming, connection: HTTPConnection) {
        self.status = status
        self.headers = headers
        self.framing = framing
        self.connection = connection
        if case .length(let length) = framing { remaining = length }
        if framing == .none || framing == .length(0) { finished = true }
    }

    /// The next piece of the body, or nil at its end. A connection that drops before the body's
    /// declared end throws, so a stream cut by a dying server is an error, not a quiet end.
    public func next() async throws -> [UInt8]? {
        let piece = try await readPiece()
        if piece == nil { connection.close() }
        return piece
    }

    private func readPiece() async throws -> [UInt8]? {
        while !finished {
            if connection.buffer.isEmpty, try await readMore() == 0 {
                finished = true
                if framing == .untilClose { return nil }
                connection.close()
                throw HTTPClientError.connectionLost("the server closed the connection in the middle of a response")
            }
            switch framing {
            case .chunked:
                var payload: [UInt8] = []
                let used: Int
                do {
                    used = try decoder.decode(connection.buffer[...], into: &payload)
                } catch {
                    close()
                    throw HTTPClientError.protocolError(error.description)
                }
                connection.buffer.removeSubrange(0..<used)
                if decoder.isComplete { finished = true }
                if !payload.isEmpty { return payload }
            case .length:
                let take = min(remaining, connection.buffer.count)
                let payload = Array(connection.buffer[0..<take])
                connection.buffer.removeSubrange(0..<take)
                remaining -= take
                if remaining == 0 { finished = true }
                if !payload.isEmpty { return payload }
            case .untilClose:
                let payload = connection.buffer
                connection.buffer.removeAll(keepingCapacity: true)
                return payload
            case .none:
                finished = true
            }
        }
        return nil
    }

    /// A reset or broken connection in the middle of a body is a lost connection, like an early end.
    private func readMore() async throws(HTTPClientError) -> Int {
        do {
            return try await connection.socket.read(into: &connection.buffer)
        } catch {
            close()
            throw HTTPClientError.lost(error, while: "reading a response")
        }
    }

    /// Collects the body and, when the server keeps the connection, returns it to the pool.
    func collectReusable(limit: Int, into client: HTTPClient) async throws -> [UInt8] {
        var body: [UInt8] = []
        while let piece = try await readPiece() {
            body += piece
            if body.count > limit { close(); throw HTTPClientError.protocolError("response body over \(limit) bytes") }
        }
        if framing != .untilClose && !headers.hasToken("close", in: "Connection") && connection.buffer.isEmpty {
            client.recycle(connection)
        } else {
            connection.close()
        }
        return body
    }

    public func close() {
        finished = true
        connection.close()
    }

    /// Reads the rest of the body into memory (bounded).
    public func collect(limit: Int = 64 << 20) async throws -> [UInt8] {
        var body: [UInt8] = []
        while let piece = try await next() {
            body += piece
            if body.count > limit { close(); throw HTTPClientError.protocolError("response body over \(limit) bytes") }
        }
        return body
    }
}

public enum HTTPClientError: Error, CustomStringConvertible, Sendable, Equatable {
    case connect(address: String, SystemError)
    case connectionLost(String)
    case protocolError(String)

    /// A socket error on an established connection (ECONNRESET, EPIPE, ...): the server went away.
    static func lost(_ error: any Error, while doing: String) -> HTTPClientError {
        if let error = error as? HTTPClientError { return error }
        return .connectionLost("the connection was lost while \(doing): \(error)")
    }

    public var description: String {
        switch self {
        case .connect(let address, let error): "cannot connect to \(address): \(error)"
        case .connectionLost(let reason): reason
        case .protocolError(let reason): "malformed HTTP response: \(reason)"
        }
    }
}

/// HTTP/1.1 client over one address (a Unix socket for Podman), with a pool of keep-alive
/// connections. A pooled connection the server closed while idle is replaced transparently.
public final class HTTPClient: Sendable {
    public let address: SocketAddress
    private let idle = Locked<[HTTPConnection]>([])
    private let maxIdle = 8

    public init(address: SocketAddress) {
        self.address = address
    }

    /// Sends a request and reads the whole response.
    public func send(_ request: ClientRequest, limit: Int = 64 << 20) async throws -> ClientResponse {
        let stream = try await open(request)
        let body = try await stream.collectReusable(limit: limit, into: self)
        return ClientResponse(status: stream.status, headers: stream.headers, body: body)
    }

    /// Sends a request and returns as soon as the response head arrives; the body follows in pieces.
    public func open(_ request: ClientRequest) async throws -> ResponseStream {
        if let pooled = idle.withLock({ $0.popLast() }) {
            // A stale pooled connection fails before any response byte: retry once on a fresh one,
            // unless a streamed body was already partly sent.
            do {
                return try await exchange(request, on: pooled)
            } catch let error as HTTPClientError {
                pooled.close()
                if case .stream = request.body { throw error }
            }
        }
        return try await exchange(request, on: try await connect())
    }

    func connect() async throws -> HTTPConnection {
        do {
            return HTTPConnection(try await AsyncSocket.connect(to: address))
        } catch let error as SystemError {
            throw HTTPClientError.connect(address: "\(address)", error)
        }
    }

    /// Only the connection's own errors become `connectionLost`; a body producer's (a tar file that
    /// cannot be read) stay what they are.
    static func write(_ bytes: [UInt8], on connection: HTTPConnection) async throws(HTTPClientError) {
        do {
            try await connection.write(bytes)
        } catch {
            throw HTTPClientError.lost(error, while: "sending a request")
        }
    }

    func recycle(_ connection: HTTPConnection) {
        let kept = idle.withLock { pool -> Bool in
            guard pool.count < maxIdle else { return false }
            pool.append(connection)
            return true
        }
        if !kept { connection.close() }
    }

    private func exchange(_ request: ClientRequest, on connection: HTTPConnection) async throws -> ResponseStream {
        do {
            var head = "\(request.method) \(request.target) HTTP/1.1\r\nHost: \(request.host)\r\n"
            for field in request.headers { head += "\(field.name): \(field.value)\r\n" }
            switch request.body {
            case .none:
                if [.post, .put, .patch].contains(request.method) { head += "Content-Length: 0\r\n" }
                try await Self.write(Array((head + "\r\n").utf8), on: connection)
            case .bytes(let bytes, let contentType):
                head += "Content-Type: \(contentType)\r\nContent-Length: \(bytes.count)\r\n\r\n"
                if bytes.count <= 64 << 10 {
                    try await Self.write(Array(head.utf8) + bytes, on: connection)
                } else {
                    // Not joined: a copy of a large body would double what it holds.
                    try await Self.write(Array(head.utf8), on: connection)
                    try await Self.write(bytes, on: connection)
                }
            case .stream(let contentType, let produce):
                head += "Content-Type: \(contentType)\r\nTransfer-Encoding: chunked\r\n\r\n"
                try await Self.write(Array(head.utf8), on: connection)
                try await produce(ClientBodyWriter(connection: connection))
                try await Self.write(ChunkedEncoder.end, on: connection)
            }
            let answer: StatusHead?
            do {
                answer = try await connection.readHead(StatusHead.self, limits: HTTPLimits())
            } catch let error as SystemError {
                throw HTTPClientError.lost(error, while: "waiting for the answer")
            }
            guard let response = answer else {
                throw HTTPClientError.connectionLost("the server closed the connection without answering")
            }
            let status = response.status
            let framing = try HeadParser.responseFraming(response.headers, status: status, requestMethod: request.method).get()
            return ResponseStream(status: status, headers: response.headers, framing: framing, connection: connection)
        } catch let error as HTTPError {
            connection.close()
            throw HTTPClientError.protocolError(error.description)
        } catch {
            connection.close()
            throw error
        }
    }
}

