import BurrowSystem
import BurrowHTTP
import BurrowTLS

/// One side of an intercepted connection, HTTP/1.1 over TLS: the stream and what was read of it but
/// not used yet. Used by one task at a time; bodies are streamed through, never held whole.
final class TLSMessages: @unchecked Sendable {
    // @unchecked: `buffer` belongs to the one task serving the connection.
    let stream: TLSStream
    var buffer: [UInt8] = []

    init(_ stream: TLSStream) { self.stream = stream }

    /// The next message head; nil when the peer closed before sending a byte of it.
    func readHead<Head: MessageHead>(_: Head.Type, limits: HTTPLimits) async throws -> Head? {
        while true {
            if !buffer.isEmpty {
                switch HeadParser.parse(buffer, limits: limits, as: Head.self) {
                case .complete(let head, let length):
                    buffer.removeSubrange(0..<length)
                    return head
                case .failure(let error): throw error
                case .incomplete: break
                }
            }
            let hadBytes = !buffer.isEmpty
            if try await stream.read(into: &buffer) == 0 {
                if hadBytes { throw HTTPError(.badRequest, "the connection closed in the middle of a message head") }
                return nil
            }
        }
    }

    /// Copies one body, framed as `framing`, to `destination` in the same framing (chunks are decoded
    /// and encoded again, trailers dropped); returns the body's bytes.
    /// `inspect` sees each piece before it is sent, and may throw to stop the body there.
    func relayBody(_ framing: BodyFraming, to destination: TLSStream, inspect: (ArraySlice<UInt8>) throws -> Void = { _ in }) async throws -> Int {
        switch framing {
        case .none:
            return 0
        case .length(let length):
            var remaining = length
            while remaining > 0 {
                if buffer.isEmpty, try await stream.read(into: &buffer) == 0 {
                    throw HTTPError(.badRequest, "the connection closed before the whole body arrived")
                }
                let take = min(remaining, buffer.count)
                try inspect(buffer[0..<take])
                try await destination.write(Array(buffer[0..<take]))
                buffer.removeSubrange(0..<take)
                remaining -= take
            }
            return length
        case .chunked:
            var decoder = ChunkedDecoder()
            var total = 0
            while !decoder.isComplete {
                if buffer.isEmpty, try await stream.read(into: &buffer) == 0 {
                    throw HTTPError(.badRequest, "the connection closed before the chunked body ended")
                }
                var piece: [UInt8] = []
                let used: Int
                do { used = try decoder.decode(buffer[...], into: &piece) } catch { throw HTTPError(.badRequest, error.description) }
                buffer.removeSubrange(0..<used)
                if !piece.isEmpty {
                    total += piece.count
                    try inspect(piece[...])
                    try await destination.write(ChunkedEncoder.chunk(piece))
                }
            }
            try await destination.write(ChunkedEncoder.end)
            return total
        case .untilClose:
            var total = 0
            while true {
                if buffer.isEmpty, try await stream.read(into: &buffer) == 0 { return total }
                total += buffer.count
                try inspect(buffer[...])
                try await destination.write(buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
    }

    /// After a 101: bytes both ways until either side ends, then both are closed.
    static func splice(_ a: TLSMessages, _ b: TLSMessages) async -> (Int, Int) {
        async let there = a.pour(into: b.stream)
        async let back = b.pour(into: a.stream)
        return await (there, back)
    }

    private func pour(into destination: TLSStream) async -> Int {
        var total = 0
        do {
            if !buffer.isEmpty { try await destination.write(buffer); total += buffer.count; buffer.removeAll() }
            while true {
                var piece: [UInt8] = []
                guard try await stream.read(into: &piece) > 0 else { break }
                total += piece.count
                try await destination.write(piece)
            }
        } catch {}
        stream.socket.shutdown()
        destination.socket.shutdown()
        return total
    }
}
