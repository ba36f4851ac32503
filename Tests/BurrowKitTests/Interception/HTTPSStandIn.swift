@testable import BurrowKit
@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowTLS
import XCTest

/// A stand-in HTTPS service on the loopback with a CA of its own (not the host's, not the burrow's):
/// answers every request `METHOD target` with Content-Length, keeps what it saw, echoes after a 101.
final class HTTPSStandIn: Sendable {
    let listener: AsyncSocket
    let authority: TLSAuthority
    let caFile: String
    let seen = Locked<[RequestHead]>([])
    let bodies = Locked<[[UInt8]]>([])
    let runner: Task<Void, Never>
    var port: UInt16 { listener.localAddress!.port! }

    init(name: String = "service.test", folder: String) throws {
        let listener = try AsyncSocket.listening(on: .ipv4("127.0.0.1", port: 0))
        let authority = try TLSAuthority(name: "Stand-in service CA")
        self.listener = listener
        self.authority = authority
        caFile = folder + "/service-ca.pem"
        try FileSystem.writeAtomically(Array(authority.certificate.pem.utf8), to: caFile)
        let seen = seen, bodies = bodies
        runner = Task {
            while let socket = try? await listener.accept() {
                Task {
                    guard let stream = try? await TLSStream.accept(socket, authority: authority, host: name) else { socket.close(); return }
                    let messages = TLSMessages(stream)
                    while let head = try? await messages.readHead(RequestHead.self, limits: HTTPLimits()) {
                        let body = (try? await HTTPSStandIn.body(messages, head)) ?? []
                        seen.withLock { $0.append(head) }
                        bodies.withLock { $0.append(body) }
                        if head.headers["Upgrade"] != nil {
                            try? await stream.write(Array("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n".utf8))
                            var echo = messages.buffer
                            while (try? await stream.read(into: &echo)) ?? 0 > 0 || !echo.isEmpty {
                                try? await stream.write(echo)
                                echo.removeAll()
                            }
                            break
                        }
                        let text = Array("\(head.method) \(head.target)".utf8)
                        try? await stream.write(Array("HTTP/1.1 200 OK\r\nContent-Length: \(text.count)\r\n\r\n".utf8) + text)
                    }
                    socket.close()
                }
            }
            listener.close()
        }
    }

    static func body(_ messages: TLSMessages, _ head: some MessageHead) async throws -> [UInt8] {
        guard let length = Int(head.headers["Content-Length"] ?? "0"), length > 0 else { return [] }
        while messages.buffer.count < length { guard try await messages.stream.read(into: &messages.buffer) > 0 else { break } }
        let body = Array(messages.buffer.prefix(length))
        messages.buffer.removeFirst(min(length, messages.buffer.count))
        return body
    }

    func stop() { listener.stop() }
}

/// A box's side of an intercepted connection, made the way a client behind the proxy makes it.
enum BoxClient {
    /// CONNECT through the proxy's socket, then TLS trusting `trust` (the burrow's CA).
    static func open(_ proxyPath: String, host: String, port: UInt16, trust: TLSClientContext, serverName: String? = nil) async throws -> TLSMessages {
        let socket = try await AsyncSocket.connect(to: .unix(proxyPath))
        try await socket.write(Array("CONNECT \(host):\(port) HTTP/1.1\r\nHost: \(host):\(port)\r\n\r\n".utf8))
        var answer: [UInt8] = []
        while !answer.ends(with: Array("\r\n\r\n".utf8)) {
            guard try await socket.read(into: &answer, maxBytes: 1) > 0 else { break }
        }
        let text = String(decoding: answer, as: UTF8.self)
        guard text.hasPrefix("HTTP/1.1 200") else { throw TLSError("CONNECT refused: \(text)") }
        return TLSMessages(try await TLSStream.connect(socket, context: trust, host: host, serverName: serverName))
    }

    /// One request and its answer's status and body (nil status: the connection closed).
    static func ask(_ box: TLSMessages, _ request: String) async throws -> (status: Int?, body: String) {
        try await box.stream.write(Array(request.utf8))
        guard let head = try await box.readHead(StatusHead.self, limits: HTTPLimits()) else { return (nil, "") }
        return (head.status, String(decoding: try await HTTPSStandIn.body(box, head), as: UTF8.self))
    }
}

extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}
