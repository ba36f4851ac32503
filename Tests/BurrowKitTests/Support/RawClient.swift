@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
@testable import BurrowWeb
@testable import BurrowCommands

/// A bare HTTP/1.1 client over a real TCP socket: sends exactly the bytes a test writes.
final class RawClient: @unchecked Sendable {
    let connection: HTTPConnection

    struct Response {
        let status: Int
        let headers: HTTPHeaders
        let body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    init(_ connection: HTTPConnection) { self.connection = connection }

    init(port: UInt16) async throws {
        connection = HTTPConnection(try await AsyncSocket.connect(to: .ipv4("127.0.0.1", port: port)))
    }

    func send(_ text: String) async throws { try await connection.write(Array(text.utf8)) }
    func send(_ bytes: [UInt8]) async throws { try await connection.write(bytes) }

    /// Reads one whole response (not for streams).
    func response(method: HTTPMethod = .get) async throws -> Response {
        guard let head = try await connection.readHead(StatusHead.self, limits: HTTPLimits()) else { throw SocketClosed() }
        let framing = try HeadParser.responseFraming(head.headers, status: head.status, requestMethod: method).get()
        let body = try await connection.readBody(framing, limit: 64 << 20)
        return Response(status: head.status, headers: head.headers, body: body)
    }

    /// Reads the head of a streamed response, leaving the body to `readChunk`.
    func streamHead() async throws -> StatusHead {
        guard let head = try await connection.readHead(StatusHead.self, limits: HTTPLimits()) else { throw SocketClosed() }
        return head
    }

    private var decoder = ChunkedDecoder()

    /// Reads the payload of a chunked stream as it comes; empty at the end of the stream.
    func readSome() async throws -> [UInt8] {
        while !decoder.isComplete {
            if connection.buffer.isEmpty, try await connection.socket.read(into: &connection.buffer) == 0 { return [] }
            var payload: [UInt8] = []
            let used = try decoder.decode(connection.buffer[...], into: &payload)
            connection.buffer.removeSubrange(0..<used)
            if !payload.isEmpty { return payload }
        }
        return []
    }

    /// True once the server has closed the connection (reads end of stream).
    func isClosedByServer() async -> Bool {
        do {
            while true {
                var bytes: [UInt8] = []
                if try await connection.socket.read(into: &bytes) == 0 { return true }
            }
        } catch {
            return true
        }
    }

    func close() { connection.close() }
}
