import BurrowSystem

/// One HTTP/1.1 connection's byte stream: a socket plus what has been read but not yet used.
/// The server and the Podman client both read message heads and bodies through it.
public final class HTTPConnection: @unchecked Sendable {
    // @unchecked: `buffer` is touched only by the one task that owns the connection at a time
    // (the server's connection task, or the client request holding it); the socket is Sendable.
    public let socket: AsyncSocket
    package var buffer: [UInt8] = []

    public init(_ socket: AsyncSocket) {
        self.socket = socket
        buffer.reserveCapacity(4096)
    }

    /// True when bytes of a next message are already buffered (pipelining).
    var hasBufferedBytes: Bool { !buffer.isEmpty }

    /// Reads until a whole head is buffered. Nil when the peer closed before sending any byte.
    package func readHead<Head: MessageHead>(_: Head.Type, limits: HTTPLimits, onFirstBytes: () -> Void = {}) async throws -> Head? {
        var announced = !buffer.isEmpty
        while true {
            if !buffer.isEmpty {
                switch HeadParser.parse(buffer, limits: limits, as: Head.self) {
                case .complete(let head, let length):
                    buffer.removeSubrange(0..<length)
                    return head
                case .failure(let error):
                    throw error
                case .incomplete:
                    break
                }
            }
            let hadBytes = !buffer.isEmpty
            if try await socket.read(into: &buffer) == 0 {
                if hadBytes { throw HTTPError(.badRequest, "the connection closed in the middle of a message head") }
                return nil
            }
            if !announced {
                announced = true
                onFirstBytes()
            }
        }
    }

    /// Reads a whole body, refusing more than `limit` bytes.
    package func readBody(_ framing: BodyFraming, limit: Int) async throws -> [UInt8] {
        var body: [UInt8] = []
        // Its whole size at once: growing by doubling would hold up to twice a large body.
        if case .length(let length) = framing, length <= limit { body.reserveCapacity(length) }
        try await readBody(framing, limit: limit) { body.append(contentsOf: $0) }
        return body
    }

    /// Reads a body and keeps none of it (a request refused before its body was read).
    package func discardBody(_ framing: BodyFraming, limit: Int) async throws {
        try await readBody(framing, limit: limit) { _ in }
    }

    /// Reads a body piece by piece as it arrives, handing each piece to `consume`.
    func readBody(_ framing: BodyFraming, limit: Int, consume: ([UInt8]) async throws -> Void) async throws {
        switch framing {
        case .none:
            return
        case .length(let length):
            guard length <= limit else { throw HTTPError(.payloadTooLarge, "the body exceeds \(limit) bytes") }
            var remaining = length
            while remaining > 0 {
                if buffer.isEmpty, try await socket.read(into: &buffer) == 0 {
                    throw HTTPError(.badRequest, "the connection closed before the whole body arrived")
                }
                let take = min(remaining, buffer.count)
                let piece = Array(buffer[0..<take])
                buffer.removeSubrange(0..<take)
                remaining -= take
                try await consume(piece)
            }
        case .chunked:
            var decoder = ChunkedDecoder(maxBodyBytes: limit)
            while !decoder.isComplete {
                if buffer.isEmpty, try await socket.read(into: &buffer) == 0 {
                    throw HTTPError(.badRequest, "the connection closed before the chunked body ended")
                }
                var piece: [UInt8] = []
                let used: Int
                do {
                    used = try decoder.decode(buffer[...], into: &piece)
                } catch {
                    throw HTTPError(error.reason.contains("exceeds") ? .payloadTooLarge : .badRequest, error.description)
                }
                buffer.removeSubrange(0..<used)
                if !piece.isEmpty { try await consume(piece) }
            }
        case .untilClose:
            var total = 0
            while true {
                if buffer.isEmpty, try await socket.read(into: &buffer) == 0 { return }
                total += buffer.count
                guard total <= limit else { throw HTTPError(.payloadTooLarge, "the body exceeds \(limit) bytes") }
                let piece = buffer
                buffer.removeAll(keepingCapacity: true)
                try await consume(piece)
            }
        }
    }

    public func write(_ bytes: [UInt8]) async throws { try await socket.write(bytes) }

    /// Writes a whole response: head, then the body (given, or produced in chunks).
    package func send(_ response: HTTPResponse, keepAlive: Bool, isHead: Bool = false, announceKeepAlive: Bool = false) async throws {
        var head = response.serializedHead(keepAlive: keepAlive, isHead: isHead, announceKeepAlive: announceKeepAlive)
        switch response.body {
        case .bytes(let bytes):
            if !isHead { head.append(contentsOf: bytes) }
            try await write(head)
        case .stream(let produce):
            // A HEAD request never runs the body: its producer is told before the head goes out, so
            // that a client which has the head also finds it ended.
            if isHead { response.onAbandon?() }
            do {
                try await write(head)
            } catch {
                if !isHead { response.onAbandon?() }
                throw error
            }
            if isHead { return }
            try await produce(ResponseBodyWriter(connection: self))
            try await write(ChunkedEncoder.end)
        }
    }

    public func close() { socket.close() }
}
