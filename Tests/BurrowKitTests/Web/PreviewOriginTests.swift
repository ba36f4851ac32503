@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowKit
import XCTest
@testable import BurrowWeb

/// A previewed page is the same site as a Burrow opened on localhost (`*.localhost`): its requests to
/// Burrow's API carry the token cookie. The browser says where they come from; the API refuses them.
final class PreviewOriginTests: XCTestCase {
    func testTheAPIRefusesRequestsFromAPreviewOrigin() async throws {
        let server = try TestServer()
        let cookie = ["Cookie": "burrow_token=\(server.token)"]
        let fromPreview = try await server.request("GET", "/api/health", headers: cookie.merging(["Sec-Fetch-Site": "same-site"]) { $1 }, authorised: false)
        XCTAssertEqual(fromPreview.status, 403, fromPreview.text)
        let crossSite = try await server.request("GET", "/api/health", headers: cookie.merging(["Sec-Fetch-Site": "cross-site"]) { $1 }, authorised: false)
        XCTAssertEqual(crossSite.status, 403, crossSite.text)
        let ownPage = try await server.request("GET", "/api/health", headers: cookie.merging(["Sec-Fetch-Site": "same-origin"]) { $1 }, authorised: false)
        XCTAssertEqual(ownPage.status, 200, "the page's own requests still work")
        let typed = try await server.request("GET", "/api/health", headers: cookie.merging(["Sec-Fetch-Site": "none"]) { $1 }, authorised: false)
        XCTAssertEqual(typed.status, 200, "an address typed or opened from a terminal")
        await server.stop()
    }

    func testPreviewHostsParseStrictly() {
        XCTAssertEqual(PreviewHost.parse("5173--0123456789ab.localhost:7878", listenPort: 7878), PreviewHost(id: "0123456789ab", port: 5173))
        XCTAssertEqual(PreviewHost.parse("5173--0123456789AB.LOCALHOST:7878", listenPort: 7878), PreviewHost(id: "0123456789ab", port: 5173))
        for host in ["5173--0123456789ab.localhost:7879", "5173-0123456789ab.localhost:7878", "70000--ab.localhost:7878",
                     "0--ab.localhost:7878", "5173--.localhost:7878", "5173--a.b.localhost:7878", "x.5173--ab.localhost:7878",
                     "5173--ab--cd.localhost:7878", "5173--ab.localhost", "localhost:7878", "5173--ab.localhost.evil:7878"] {
            XCTAssertNil(PreviewHost.parse(host, listenPort: 7878), host)
        }
    }

    func testListeningPortsComeFromTheKernelTableOnly() {
        let table = Array("""
          sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
           0: 0100007F:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1 1 0
           1: 00000000:0C38 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 2 1 0
           2: 0100007F:1F41 0100007F:9C40 01 00000000:00000000 00:00000000 00000000  1000        0 3 1 0
           3: 0200A8C0:1F42 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4 1 0
          sl  local_address                         remote_address                        st
           0: 00000000000000000000000001000000:1F40 00000000000000000000000000000000:0000 0A 0
           1: 00000000000000000000000000000000:1435 00000000000000000000000000000000:0000 0A 0
        """.utf8)
        let ports = ListeningPorts.parse(table, excluding: [3128])
        XCTAssertEqual(ports, [ListeningPort(port: 5173, family: 6), ListeningPort(port: 8000, family: 4)],
                       "listeners on loopback or any address; not 3128, not a connection, not another address")
        let many = Array((1...500).map { "  \($0): 00000000:\(String($0 + 1000, radix: 16)) 00000000:0000 0A x" }.joined(separator: "\n").utf8)
        XCTAssertEqual(ListeningPorts.parse(many).count, 64, "bounded")
    }

    func testACodeSignsInOnceAndOnlyItsOwnOrigin() {
        let sessions = PreviewSessions()
        let site = PreviewHost(id: "0123456789ab", port: 8000), other = PreviewHost(id: "0123456789ab", port: 8001)
        let code = sessions.issueCode(for: site)
        XCTAssertNil(sessions.redeem(code, for: other), "a code for another origin")
        XCTAssertNil(sessions.redeem(code, for: site), "spent by the wrong try")
        let fresh = sessions.issueCode(for: site)
        let session = sessions.redeem(fresh, for: site)
        XCTAssertNotNil(session)
        XCTAssertNil(sessions.redeem(fresh, for: site), "once")
        XCTAssertTrue(sessions.admits(session, to: site))
        XCTAssertFalse(sessions.admits(session, to: other))
        XCTAssertFalse(sessions.admits(nil, to: site))
        for _ in 0..<(PreviewSessions.maxCodes + 10) { _ = sessions.issueCode(for: site) }
        XCTAssertTrue(sessions.admits(session, to: site), "codes and sessions are bounded separately")
    }

    func testTheRelayedRequestCarriesNoneOfBurrowsCookies() {
        var request = HTTPRequest(method: "GET", target: "/x?y=1", headers: [
            "Host": "8000--0123456789ab.localhost:7878", "Cookie": "app=1; burrow_preview=secret; burrow_token=t; b=2",
            "Connection": "keep-alive", "Transfer-Encoding": "chunked"])
        request.body = []
        let head = String(decoding: PreviewForwarding.head(for: request), as: UTF8.self)
        XCTAssertTrue(head.hasPrefix("GET /x?y=1 HTTP/1.1\r\n"), head)
        XCTAssertTrue(head.contains("Cookie: app=1; b=2\r\n"), head)
        XCTAssertFalse(head.contains("secret") || head.contains("burrow_token"), head)
        XCTAssertTrue(head.contains("Connection: close\r\n") && !head.contains("keep-alive") && !head.contains("chunked"), head)
    }

    func testTheAnswerClosesAndCannotSetCookiesForOtherOrigins() {
        let head = Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nSet-Cookie: burrow_token=forged; Domain=localhost; Path=/\r\nSet-Cookie: own=1; Path=/\r\n\r\nok".utf8)
        let length = PreviewResponseHead.length(head)
        XCTAssertEqual(length, head.count - 2)
        let rewritten = PreviewResponseHead.rewrite(head[..<(length ?? 0)])
        let text = String(decoding: rewritten.head, as: UTF8.self)
        XCTAssertFalse(rewritten.switching)
        XCTAssertEqual(rewritten.framing, .length(2), "delimited: the browser's connection may go on")
        XCTAssertEqual(text, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nSet-Cookie: own=1; Path=/\r\n\r\n")
        let chunked = PreviewResponseHead.rewrite(Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n".utf8)[...])
        XCTAssertEqual(chunked.framing, .close)
        XCTAssertTrue(String(decoding: chunked.head, as: UTF8.self).hasSuffix("Connection: close\r\n\r\n"))
        let twoLengths = PreviewResponseHead.rewrite(Array("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n".utf8)[...])
        XCTAssertEqual(twoLengths.framing, .close, "an ambiguous length ends the connection")
        let upgrade = PreviewResponseHead.rewrite(Array("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n".utf8)[...])
        XCTAssertTrue(upgrade.switching)
        XCTAssertTrue(String(decoding: upgrade.head, as: UTF8.self).contains("Connection: Upgrade"))
        XCTAssertNil(PreviewResponseHead.length(Array("HTTP/1.1 200 OK\r\n".utf8)))
    }
}
