@testable import BurrowSystem
@testable import BurrowHTTP
import XCTest

/// A route that takes the connection over: `101` with its fields, then the handler owns the bytes,
/// including those the client sent right behind its request; a refusal stays an ordinary answer.
final class HTTPUpgradeTests: XCTestCase {
    func testTheUpgradedConnectionCarriesBytesBothWaysAndARefusalIsAnAnswer() async throws {
        let listener = try AsyncSocket.listening(on: .ipv4("127.0.0.1", port: 0))
        let server = HTTPServer(listener: listener) { request in
            guard request.headers.hasToken("echo", in: "Upgrade") else { return .text("no", status: HTTPStatus(426, "Upgrade Required")) }
            return .upgrade(HTTPUpgrade(protocolName: "echo", headers: ["X-Extra": "1"]) { connection in
                var buffer = connection.leftover
                while (try? await connection.socket.write(buffer.map { $0 ^ 0x20 })) != nil {
                    buffer.removeAll()
                    guard (try? await connection.socket.read(into: &buffer)) ?? 0 > 0 else { return }
                }
            })
        }
        let running = Task { await server.run() }
        defer { running.cancel() }
        let client = HTTPClient(address: listener.localAddress!)
        let upgraded = try await client.upgrade(ClientRequest(.post, "/x", body: .bytes(Array("{}".utf8), contentType: "application/json")), protocolName: "echo")
        defer { upgraded.socket.close() }
        XCTAssertEqual(upgraded.status, 101)
        XCTAssertEqual(upgraded.headers["X-Extra"], "1")
        try await upgraded.socket.write(Array("hello".utf8))
        var answer = upgraded.leftover
        while answer.count < 5 { _ = try await upgraded.socket.read(into: &answer) }
        XCTAssertEqual(String(decoding: answer, as: UTF8.self), "HELLO")

        do {
            _ = try await client.upgrade(ClientRequest(.post, "/x"), protocolName: "other")
            XCTFail("upgraded to a protocol the route refuses")
        } catch let refused as UpgradeRefused {
            XCTAssertEqual(refused.status, 426)
            XCTAssertEqual(String(decoding: refused.body, as: UTF8.self), "no")
        }
        await server.shutdown(grace: .milliseconds(100))
    }
}
