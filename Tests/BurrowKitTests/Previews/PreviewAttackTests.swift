@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowKit
@testable import BurrowWeb
import Foundation
import XCTest

/// The agent is the attacker, and its servers are what a preview shows: everything they send is
/// hostile, and nothing it can do in its burrow may point Burrow at the host.
final class PreviewAttackTests: XCTestCase {
    /// A Burrow whose agent is `sh -c TASK`, in the test image (busybox) or, for `python`, the agent image.
    func makeApp(timeout: Duration = .seconds(30), connections: Int = 256, python: Bool = false) async throws -> BurrowTestApp {
        let image = python ? try await RealAgentEnvironment.requireImage() : nil
        return try await BurrowTestApp(previewTimeout: timeout, previewConnections: connections) { config in
            if let image { config.image = image }
            config.agentCommand = ["sh", "-c"]
            config.taskInput = .argument
            config.caches = []
        }
    }

    func testAServerInTheBurrowIsServedOnlyOnItsOwnSignedInOrigin() async throws {
        let app = try await makeApp(timeout: .seconds(2))
        let launched = try await app.launch(PreviewServers.busyboxTask(marker: "served-from-the-burrow"))
        let listed = try await app.waitForPreviews(launched.id, [8000, 8002])
        XCTAssertFalse(listed.contains(3128), "Burrow's own proxy port is not a preview")
        let site = PreviewVisitor(app: app, id: launched.id, port: 8000)

        let anonymous = try await site.request("/", cookie: nil)
        XCTAssertEqual(anonymous.status, 401, "no session, no page: \(anonymous.text)")
        XCTAssertFalse(anonymous.text.contains("served-from-the-burrow"))
        let cookie = try await site.signIn()
        let page = try await site.request("/", cookie: cookie)
        XCTAssertEqual(page.status, 200, page.text)
        XCTAssertTrue(page.text.contains("served-from-the-burrow"), page.text)

        // A connection kept open after a delimited answer: its next request is checked like the first.
        let reused = try await app.server.client()
        try await reused.send("GET / HTTP/1.1\r\nHost: \(site.host)\r\nCookie: \(cookie)\r\n\r\n")
        let first = try await reused.response()
        XCTAssertEqual(first.status, 200)
        XCTAssertTrue(first.text.contains("served-from-the-burrow"), first.text)
        try await reused.send("GET / HTTP/1.1\r\nHost: \(site.host)\r\n\r\n")
        let second = try await reused.response()
        XCTAssertEqual(second.status, 401, "the second request on the same connection has no session: \(second.text)")
        reused.close()

        // The session is for this origin only: another port of the same burrow does not take it.
        let other = PreviewVisitor(app: app, id: launched.id, port: 8002)
        let otherPage = try await other.request("/", cookie: cookie)
        XCTAssertEqual(otherPage.status, 401)
        // Burrow's API is not served on a preview origin, even with the token.
        let api = try await site.request("/api/burrows", cookie: cookie, headers: ["Authorization": "Bearer \(app.server.token)"])
        XCTAssertEqual(api.status, 403, api.text)

        // A port nothing listens on: 404, and the relay was not asked for a connection.
        let current = await app.manager.previewHub.current(launched.id)
        let relay = try XCTUnwrap(current)
        let asked = relay.connectionsAsked.load(ordering: .relaxed)
        XCTAssertGreaterThan(asked, 0, "the probe counts: the page above went through the relay")
        let closed = PreviewVisitor(app: app, id: launched.id, port: 8009)
        let missing = try await closed.request("/", cookie: try await closed.signIn())
        XCTAssertEqual(missing.status, 404, missing.text)
        XCTAssertEqual(relay.connectionsAsked.load(ordering: .relaxed), asked, "no connection attempt for an unknown port")
        let unknownBurrow = PreviewVisitor(app: app, id: "0123456789ab", port: 8000)
        let elsewhere = try await unknownBurrow.request("/", cookie: cookie)
        XCTAssertEqual(elsewhere.status, 401, "a session names one origin")

        // A listener that accepts and never answers: a clean timeout page.
        let silent = PreviewVisitor(app: app, id: launched.id, port: 8002)
        let started = ContinuousClock.now
        let timedOut = try await silent.request("/", cookie: try await silent.signIn())
        XCTAssertEqual(timedOut.status, 504, timedOut.text)
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(10))

        // The burrow stopped: a clear page, not a hang.
        _ = try await app.manager.stop(launched.id)
        _ = try await app.finished(launched.id)
        let stopped = try await site.request("/", cookie: cookie)
        XCTAssertEqual(stopped.status, 503, stopped.text)
        XCTAssertTrue(stopped.text.contains("stopped") || stopped.text.contains("failed") || stopped.text.contains("succeeded"), stopped.text)
        await app.cleanUp()
    }

    func testAWebSocketEchoesThroughThePreview() async throws {
        let app = try await makeApp(python: true)
        let launched = try await app.launch(PreviewServers.task(marker: "ws"))
        _ = try await app.waitForPreviews(launched.id, [8001])
        let echo = PreviewVisitor(app: app, id: launched.id, port: 8001)
        try await echo.echoOverWebSocket(["hello", "second message"])
        await app.cleanUp()
    }

    /// The host listens on ports too: a preview reaches the burrow's namespace only. A port open on
    /// the host and in the burrow shows the burrow's; one open only on the host is 404 and the host's
    /// listener never sees a connection.
    func testAPortOpenOnTheHostIsNeverReachedThroughAPreview() async throws {
        let shared = try AsyncSocket.listening(on: .ipv4("127.0.0.1", port: 0))
        let hostOnly = try AsyncSocket.listening(on: .ipv4("127.0.0.1", port: 0))
        defer { shared.close(); hostOnly.close() }
        let accepted = Locked(0)
        let watchers = [shared, hostOnly].map { listener in
            Task { while (try? await listener.accept()) != nil { accepted.withLock { $0 += 1 } } }
        }
        defer { watchers.forEach { $0.cancel() } }
        let sharedPort = Int(shared.localAddress!.port!), hostPort = Int(hostOnly.localAddress!.port!)
        let app = try await makeApp()
        // The agent also plants what it can where it can: sockets and links named like Burrow's.
        let extra = """
        mkdir -p /tmp/box-side && echo box-side > /tmp/box-side/index.html
        httpd -f -p 127.0.0.1:\(sharedPort) -h /tmp/box-side &
        for path in /run/burrow/relay.sock /tmp/relay.sock /tmp/burrow-preview; do ln -sf /proc/1/root "$path" 2>/dev/null || true; done
        """
        let launched = try await app.launch(PreviewServers.busyboxTask(marker: "x", extra: extra))
        _ = try await app.waitForPreviews(launched.id, [sharedPort])
        let box = PreviewVisitor(app: app, id: launched.id, port: sharedPort)
        let page = try await box.request("/", cookie: try await box.signIn())
        XCTAssertEqual(page.status, 200, page.text)
        XCTAssertTrue(page.text.contains("box-side"), page.text)
        let host = PreviewVisitor(app: app, id: launched.id, port: hostPort)
        let hostPage = try await host.request("/", cookie: try await host.signIn())
        XCTAssertEqual(hostPage.status, 404, hostPage.text)
        try await Task.sleep(for: .milliseconds(200))
        XCTAssertEqual(accepted.withLock { $0 }, 0, "no connection reached the host's listeners")
        await app.cleanUp()
    }

    /// Many preview connections held open by a server that never answers do not take the API down:
    /// past `maxConnections` previews answer 503 at once, and the API answers throughout.
    func testHeldPreviewConnectionsDoNotStarveTheAPI() async throws {
        // Both ends of 1,000 connections live in this process, as `burrow serve` raises its own limit
        // (a non-root user's soft limit is often 1024).
        DescriptorLimit.raiseToHardLimit()
        let app = try await makeApp(timeout: .seconds(20), connections: 32)
        let launched = try await app.launch(PreviewServers.busyboxTask(marker: "x"))
        _ = try await app.waitForPreviews(launched.id, [8002])
        let silent = PreviewVisitor(app: app, id: launched.id, port: 8002)
        let cookie = try await silent.signIn()
        var clients: [RawClient] = []
        for _ in 0..<1000 {
            let client = try await app.server.client()
            try await client.send("GET / HTTP/1.1\r\nHost: \(silent.host)\r\nCookie: \(cookie)\r\n\r\n")
            clients.append(client)
        }
        defer { clients.forEach { $0.close() } }
        let refused = try await clients.last!.response()
        XCTAssertEqual(refused.status, 503, refused.text)
        let started = ContinuousClock.now
        let health = try await app.server.request("GET", "/api/burrows/\(launched.id)")
        XCTAssertEqual(health.status, 200)
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(2))
        await app.cleanUp()
    }
}
