@testable import BurrowKit
@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// Behaviours that once survived mutation: each test fails if its behaviour is taken out.
final class ProtocolEdgeTests: XCTestCase {
    var server: TestServer!

    override func setUp() async throws {
        server = try TestServer { router in
            router.get("/api/stream") { _ in
                HTTPResponse(headers: ["Content-Type": "text/plain"], body: .stream { try await $0.write(Array("streamed".utf8)) })
            }
        }
    }

    override func tearDown() async throws { await server.stop() }

    var auth: String { "Host: \(server.host)\r\nAuthorization: Bearer \(server.token)\r\n" }

    /// Runs `body`, shutting the client's socket down after `seconds` so a missing answer fails
    /// the test (end of stream) instead of hanging it.
    func within<T: Sendable>(_ seconds: Double, _ client: RawClient, _ body: @Sendable () async throws -> T) async throws -> T {
        let watchdog = Task {
            try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
            client.connection.socket.shutdown()
        }
        defer { watchdog.cancel() }
        return try await body()
    }

    func testExpectContinueGetsAnInterimResponseBeforeTheBodyIsSent() async throws {
        let client = try await server.client()
        defer { client.close() }
        try await client.send("POST /api/echo HTTP/1.1\r\n\(auth)Expect: 100-continue\r\nContent-Length: 5\r\n\r\n")
        let interim = try await within(3, client) { try await client.streamHead() }
        XCTAssertEqual(interim.status, 100, "no 100 Continue before the body")
        try await client.send("hello")
        let response = try await within(3, client) { try await client.response(method: "POST") }
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.text, "hello")
    }

    func testExpectContinueWithATooLargeBodyIsRefusedWithoutContinue() async throws {
        let client = try await server.client()
        defer { client.close() }
        try await client.send("POST /api/echo HTTP/1.1\r\n\(auth)Expect: 100-continue\r\nContent-Length: \((1 << 20) + 1)\r\n\r\n")
        let response = try await within(3, client) { try await client.streamHead() }
        XCTAssertEqual(response.status, 413)
    }

    func testHTTP10ClosesUnlessKeepAliveIsAsked() async throws {
        let plain = try await server.client()
        defer { plain.close() }
        try await plain.send("GET /api/health HTTP/1.0\r\n\(auth)\r\n")
        let once = try await within(3, plain) { try await plain.response() }
        XCTAssertEqual(once.status, 200)
        XCTAssertEqual(once.headers["Connection"], "close")
        let started = Monotonic.now()
        let closed = try await within(3, plain) { await plain.isClosedByServer() }
        XCTAssertTrue(closed)
        XCTAssertLessThan(Monotonic.now() - started, 2_000_000_000, "an HTTP/1.0 connection without keep-alive stays open")

        let kept = try await server.client()
        defer { kept.close() }
        for round in 0..<2 {
            try await kept.send("GET /api/health HTTP/1.0\r\n\(auth)Connection: keep-alive\r\n\r\n")
            let response = try await within(3, kept) { try await kept.response() }
            XCTAssertEqual(response.status, 200, "round \(round)")
            XCTAssertEqual(response.headers["Connection"], "keep-alive", "a 1.0 client learns the connection stays open")
        }
    }

    func testHeadIsRoutedAsGetWithTheLengthAndNoBody() async throws {
        let client = try await server.client()
        defer { client.close() }
        try await client.send("GET /api/health HTTP/1.1\r\n\(auth)\r\n")
        let get = try await client.response()
        XCTAssertEqual(get.status, 200)
        try await client.send("HEAD /api/health HTTP/1.1\r\n\(auth)\r\n")
        let head = try await within(3, client) { try await client.response(method: "HEAD") }
        XCTAssertEqual(head.status, 200, "HEAD did not reach the GET route")
        XCTAssertEqual(head.headers["Content-Length"], "\(get.body.count)")
        XCTAssertEqual(head.body, [])
        // Nothing after the head: the next response on the connection parses from its first byte.
        try await client.send("HEAD /api/stream HTTP/1.1\r\n\(auth)\r\n")
        let streamHead = try await within(3, client) { try await client.response(method: "HEAD") }
        XCTAssertEqual(streamHead.status, 200)
        XCTAssertNil(streamHead.headers["Transfer-Encoding"])
        try await client.send("GET /api/health HTTP/1.1\r\n\(auth)\r\n")
        let again = try await within(3, client) { try await client.response() }
        XCTAssertEqual(again.status, 200)
        XCTAssertEqual(again.body.count, get.body.count)
    }

    func testAChunkedBodyOverTheLimitGets413() async throws {
        let client = try await server.client()
        defer { client.close() }
        try await client.send("POST /api/echo HTTP/1.1\r\n\(auth)Transfer-Encoding: chunked\r\n\r\n")
        let chunk = String(repeating: "x", count: 64 * 1024)
        var sent = 0
        while sent <= 1 << 20 {
            guard (try? await client.send(String(chunk.utf8.count, radix: 16) + "\r\n" + chunk + "\r\n")) != nil else { break }
            sent += chunk.utf8.count
        }
        _ = try? await client.send("0\r\n\r\n")
        let response = try await within(3, client) { try await client.response(method: "POST") }
        XCTAssertEqual(response.status, 413)

        // Under a route's raised limit the same body is fine.
        let allowed = try await server.client()
        defer { allowed.close() }
        try await allowed.send("POST /api/large HTTP/1.1\r\n\(auth)Transfer-Encoding: chunked\r\n\r\n")
        for _ in 0..<17 { try await allowed.send(String(chunk.utf8.count, radix: 16) + "\r\n" + chunk + "\r\n") }
        try await allowed.send("0\r\n\r\n")
        let ok = try await within(3, allowed) { try await allowed.response(method: "POST") }
        XCTAssertEqual(ok.status, 200)
        XCTAssertEqual(ok.text, "\(17 * 64 * 1024)")
    }
}

/// Event streams own their channel end to end: one never produced is finished, and the keep-alive
/// loop ends with the last open channel.
final class EventStreamOwnershipTests: XCTestCase {
    func testAHeadRequestOnAnEventStreamFinishesItsChannel() async throws {
        let channel = EventChannel()
        let server = try TestServer { router in router.get("/api/stream") { _ in .eventStream(channel) } }
        let response = try await server.request("HEAD", "/api/stream")
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.headers["Content-Type"], "text/event-stream")
        XCTAssertTrue(channel.isFinished, "a HEAD request left its event channel open")
        await server.stop()
    }

    func testTheKeepAliveLoopEndsWithTheLastChannelAndStartsAgain() async throws {
        let keepAlive = KeepAlive(interval: .milliseconds(20))
        for round in 0..<2 {
            let channel = EventChannel()
            keepAlive.track(channel)
            XCTAssertTrue(keepAlive.isRunning, "round \(round)")
            let frame = try await withTimeout(5) { await channel.next() }
            XCTAssertEqual(frame.map { String(decoding: $0, as: UTF8.self) }, ": keep-alive\n\n", "round \(round)")
            keepAlive.untrack(channel)
            channel.finish()
            for _ in 0..<250 where keepAlive.isRunning { try await Task.sleep(for: .milliseconds(20)) }
            XCTAssertFalse(keepAlive.isRunning, "round \(round): the loop outlived its channels")
        }
    }
}
