@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowKit
@testable import BurrowWeb
import Foundation
import XCTest

/// Servers an agent starts in its burrow for the preview tests, and a client that plays the browser
/// on a preview origin.
enum PreviewServers {
    /// With the test image's busybox (so it runs on every Podman the tests know): `httpd` on 8000 (a
    /// page saying `marker`), a listener on 8002 that accepts and never answers, and `extra` lines.
    static func busyboxTask(marker: String, extra: String = "") -> String {
        """
        mkdir -p /tmp/site && echo "\(marker)" > /tmp/site/index.html
        httpd -f -p 127.0.0.1:8000 -h /tmp/site &
        nc -ll -p 8002 -e sleep 1000 &
        \(extra)
        sleep 300
        """
    }

    /// The WebSocket echo server the benchmark uses too (benchmarks/preview_ws_echo.py), on 8001.
    static var webSocketEcho: String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return (try? String(contentsOf: root.appendingPathComponent("benchmarks/preview_ws_echo.py"), encoding: .utf8)) ?? "raise SystemExit('no echo server')"
    }

    /// With the agent image's python3: `python3 -m http.server` on 8000 (a page saying `marker`), a WebSocket echo on 8001, a
    /// listener that accepts and never answers on 8002, and `extra` more shell lines; then waits.
    static func task(marker: String, extra: String = "") -> String {
        #"""
        set -e
        mkdir -p /tmp/site && cd /tmp/site && echo "\#(marker)" > index.html
        python3 -m http.server 8000 --bind 127.0.0.1 >/dev/null 2>&1 &
        cat > /tmp/ws.py <<'PY'
        \#(webSocketEcho)
        PY
        python3 /tmp/ws.py >/dev/null 2>&1 &
        python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 8002)); s.listen(); held=[s.accept() for _ in range(10**6)]" >/dev/null 2>&1 &
        \#(extra)
        sleep 300
        """#
    }
}

/// The browser's side of a preview: a session got the way the page gets one.
struct PreviewVisitor {
    let app: BurrowTestApp
    let id: String
    let port: Int
    var host: String { "\(port)--\(id).localhost:\(app.server.port)" }

    /// Follows the page's link: the API redirect with a one-time code, then the preview's sign-in.
    func signIn() async throws -> String {
        let link = try await app.server.request("GET", "/api/burrows/\(id)/previews/\(port)/open")
        XCTAssertEqual(link.status, 302, link.text)
        let location = try XCTUnwrap(link.headers["Location"])
        XCTAssertTrue(location.hasPrefix("http://\(host)/.burrow/preview?code="), location)
        let target = String(location.dropFirst("http://\(host)".count))
        let signedIn = try await request(target, cookie: nil)
        XCTAssertEqual(signedIn.status, 302, signedIn.text)
        let again = try await request(target, cookie: nil)
        XCTAssertEqual(again.status, 403, "a code works once")
        let cookie = try XCTUnwrap(signedIn.headers["Set-Cookie"])
        XCTAssertTrue(cookie.contains("HttpOnly"), cookie)
        return String(cookie.split(separator: ";")[0])
    }

    func request(_ target: String, cookie: String?, headers: [String: String] = [:]) async throws -> RawClient.Response {
        var all = ["Host": host]
        if let cookie { all["Cookie"] = cookie }
        for (name, value) in headers { all[name] = value }
        let client = try await app.server.client()
        defer { client.close() }
        try await client.send("GET \(target) HTTP/1.1\r\n" + all.map { "\($0.key): \($0.value)\r\n" }.joined() + "\r\n")
        return try await client.response()
    }
}

extension BurrowTestApp {
    /// Waits until the burrow's previews list `ports`.
    func waitForPreviews(_ id: String, _ ports: Set<Int>, within seconds: Double = 90) async throws -> [Int] {
        let last = Locked("nothing listed yet")
        do {
            return try await withTimeout(seconds) {
                while true {
                    let list = try await self.manager.previews(id)
                    let listed = Set(list.ports.map(\.port))
                    if ports.isSubset(of: listed) { return listed.sorted() }
                    last.withLock { $0 = "listed \(listed.sorted()), unavailable: \(list.unavailable ?? "-")" }
                    try await Task.sleep(for: .milliseconds(200))
                }
            }
        } catch {
            let record = try? await manager.record(id)
            let output = (try? await readStream(id, within: 1).map(\.data).joined(separator: "\n")) ?? ""
            XCTFail("waiting for ports \(ports.sorted()): \(last.withLock { $0 }); burrow \(record?.state.rawValue ?? "?"); output: \(output.suffix(2000))")
            throw error
        }
    }
}

extension PreviewVisitor {
    /// Signs in, upgrades `/socket` to a WebSocket through the preview, and checks that each message
    /// comes back whole (`pause` before every one after the first: an idle connection must stay up).
    func echoOverWebSocket(_ messages: [String], pause: Duration = .zero) async throws {
        let cookie = try await signIn()
        let client = try await app.server.client()
        defer { client.close() }
        try await client.send("GET /socket HTTP/1.1\r\nHost: \(host)\r\nCookie: \(cookie)\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                              + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
        let head = try await client.streamHead()
        XCTAssertEqual(head.status, 101)
        XCTAssertEqual(head.headers["Sec-WebSocket-Accept"], "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        for (index, message) in messages.enumerated() {
            if index > 0, pause > .zero { try await Task.sleep(for: pause) }
            let mask: [UInt8] = [1, 2, 3, 4]
            let payload = Array(message.utf8).enumerated().map { $0.element ^ mask[$0.offset % 4] }
            try await client.send([0x81, 0x80 | UInt8(payload.count)] + mask + payload)
            var frame = client.connection.buffer
            client.connection.buffer.removeAll()
            while frame.count < 2 + message.utf8.count {
                guard try await client.connection.socket.read(into: &frame) > 0 else { return XCTFail("the echo closed before \(message)") }
            }
            XCTAssertEqual(Array(frame.prefix(2)), [0x81, UInt8(message.utf8.count)])
            XCTAssertEqual(String(decoding: frame.dropFirst(2), as: UTF8.self), message)
        }
    }
}
