@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// The server over real loopback sockets: framing, limits, keep-alive, timeouts, shutdown.
final class HTTPServerTests: XCTestCase {
    func testKeepAliveServesSeveralRequestsOnOneConnection() async throws {
        let server = try TestServer()
        let client = try await server.client()
        for _ in 0..<3 {
            try await client.send("GET /api/health HTTP/1.1\r\nHost: \(server.host)\r\nAuthorization: Bearer \(server.token)\r\n\r\n")
            let response = try await client.response()
            XCTAssertEqual(response.status, 200)
            XCTAssertTrue(response.text.contains("\"status\":\"ok\""))
        }
        // Two pipelined requests in one write are answered in order.
        let one = "POST /api/echo HTTP/1.1\r\nHost: \(server.host)\r\nAuthorization: Bearer \(server.token)\r\nContent-Length: 3\r\n\r\none"
        let two = "POST /api/echo HTTP/1.1\r\nHost: \(server.host)\r\nAuthorization: Bearer \(server.token)\r\nContent-Length: 3\r\n\r\ntwo"
        try await client.send(one + two)
        let first = try await client.response().text, second = try await client.response().text
        XCTAssertEqual(first, "one")
        XCTAssertEqual(second, "two")
        client.close()
        await server.stop()
    }

    func testChunkedRequestBody() async throws {
        let server = try TestServer()
        let client = try await server.client()
        try await client.send("POST /api/echo HTTP/1.1\r\nHost: \(server.host)\r\nAuthorization: Bearer \(server.token)\r\nTransfer-Encoding: chunked\r\n\r\n")
        try await client.send("4\r\nWiki\r\n")
        try await client.send("5\r\npedia\r\n0\r\n\r\n")
        let response = try await client.response()
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.text, "Wikipedia")
        client.close()
        await server.stop()
    }

    func testLimits() async throws {
        let server = try TestServer()
        let big = String(repeating: "x", count: (1 << 20) + 1)
        let tooLarge = try await server.request("POST", "/api/echo", body: big)
        XCTAssertEqual(tooLarge.status, 413)
        let routeAllowsMore = try await server.request("POST", "/api/large", body: big)
        XCTAssertEqual(routeAllowsMore.status, 200, "a route may raise the body limit")
        XCTAssertEqual(routeAllowsMore.text, "\((1 << 20) + 1)")
        let hugeHeader = try await server.request("GET", "/api/health", headers: ["X-Big": String(repeating: "h", count: 17_000)])
        XCTAssertEqual(hugeHeader.status, 431)
        let unknownMethod = try await server.request("BREW", "/api/health")
        XCTAssertEqual(unknownMethod.status, 501)
        let wrongMethod = try await server.request("DELETE", "/api/health")
        XCTAssertEqual(wrongMethod.status, 405)
        XCTAssertEqual(wrongMethod.headers["Allow"], "GET")
        let missing = try await server.request("GET", "/api/nothing-here")
        XCTAssertEqual(missing.status, 404)
        XCTAssertTrue(missing.text.contains("\"error\""))
        let client = try await server.client()
        try await client.send("GARBAGE\r\n\r\n")
        let malformed = try await client.response()
        XCTAssertEqual(malformed.status, 400)
        XCTAssertEqual(malformed.headers["Connection"], "close")
        let closed = await client.isClosedByServer()
        XCTAssertTrue(closed)
        let noHost = try await server.client()
        try await noHost.send("GET /api/health HTTP/1.1\r\n\r\n")
        let noHostStatus = try await noHost.response().status
        XCTAssertEqual(noHostStatus, 400)
        await server.stop()
    }

    func testTricklingHeadersAreCutOff() async throws {
        var timeouts = ServerTimeouts()
        timeouts.headerRead = .milliseconds(600)
        let server = try TestServer(timeouts: timeouts)
        let slow = try await server.client()
        let started = Monotonic.now()
        try await slow.send("GET /api/health HTTP/1.1\r\n")
        for _ in 0..<3 {
            try await Task.sleep(for: .milliseconds(150))
            try? await slow.send("X-Slow: 1\r\n")
        }
        let closed = try await withTimeout(5) { await slow.isClosedByServer() }
        let elapsed = Double(Monotonic.now() - started) / 1e9
        XCTAssertTrue(closed)
        XCTAssertGreaterThan(elapsed, 0.5)
        XCTAssertLessThan(elapsed, 2.5, "cut off soon after the header timeout")
        // Meanwhile a normal client is served.
        let normal = try await server.request("GET", "/api/health")
        XCTAssertEqual(normal.status, 200)
        await server.stop()
    }

    func testIdleKeepAliveConnectionIsClosed() async throws {
        var timeouts = ServerTimeouts()
        timeouts.idle = .milliseconds(500)
        let server = try TestServer(timeouts: timeouts)
        let client = try await server.client()
        try await client.send("GET /api/health HTTP/1.1\r\nHost: \(server.host)\r\nAuthorization: Bearer \(server.token)\r\n\r\n")
        _ = try await client.response()
        let closed = try await withTimeout(3) { await client.isClosedByServer() }
        XCTAssertTrue(closed)
        await server.stop()
    }

    func testGracefulShutdownFinishesRequestInFlight() async throws {
        let server = try TestServer { router in
            router.get("/api/slow") { _ in
                try await Task.sleep(for: .milliseconds(400))
                return .text("done")
            }
        }
        let idle = try await server.client()
        let inFlight = Task { try await server.request("GET", "/api/slow") }
        try await Task.sleep(for: .milliseconds(100))
        let stopping = Task { await server.stop() }
        let response = try await inFlight.value
        XCTAssertEqual(response.text, "done", "the request in flight completes")
        XCTAssertEqual(response.headers["Connection"], "close")
        let idleClosed = await idle.isClosedByServer()
        XCTAssertTrue(idleClosed)
        await stopping.value
        XCTAssertEqual(server.server.openConnections, 0)
        do {
            _ = try await RawClient(port: server.port)
            XCTFail("the listener should be closed")
        } catch {}
    }
}
