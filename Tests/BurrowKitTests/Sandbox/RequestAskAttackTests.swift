@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowKit
import Foundation
import XCTest
@testable import BurrowWeb

/// `network.unlisted: "ask"` for a method/path that `network.rules` refuse, from inside a real
/// burrow: the agent (a shell script, the attacker) fetches paths its rules refuse; the test answers
/// on the page's API. (busybox wget speaks plain http:// through the proxy and sends only GET; the
/// rules are the same ones the proxy applies inside TLS, where RequestAskTests hold a POST.)
final class RequestAskAttackTests: XCTestCase {
    static func fetch(_ host: String, _ path: String) -> String {
        "echo \"== \(path)\"; wget -q -O - http://\(host)\(path) 2>&1; echo \"\(path) exit=$?\""
    }

    static func pending(_ app: BurrowTestApp, _ id: String, path: String) async throws -> Ask {
        try await withTimeout(30) {
            while true {
                let response = try await app.server.request("GET", "/api/burrows/\(id)/asks")
                let list = try JSONDecoder().decode(AskList.self, from: Data(response.body))
                if let ask = list.asks.first(where: { $0.path == path }) { return ask }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    static func answer(_ app: BurrowTestApp, _ id: String, _ ask: Ask, _ answer: String) async throws -> RawClient.Response {
        try await app.server.request("POST", "/api/burrows/\(id)/asks/\(ask.id)", headers: ["Content-Type": "application/json"],
                                     body: #"{"answer": "\#(answer)"}"#)
    }

    /// A Burrow whose agent is `sh -c TASK` and whose `host` (rules.ask.test:PORT) allows only `GET /public/**`.
    static func app(host: String, askSeconds: Int) async throws -> BurrowTestApp {
        try await BurrowTestApp { config in
            config.network = NetworkConfig(mode: .allowlist)
            config.network.allow = [host]
            config.network.rules = [host: ["GET /public/**"]]
            config.network.unlisted = .ask
            config.network.askSeconds = askSeconds
            config.network.resolve = ["rules.ask.test": "127.0.0.1"]
            config.agentCommand = ["sh", "-c"]
            config.taskInput = .argument
        }
    }

    func testARefusedRequestIsHeldForAPersonAndBurrowAllowsThatPathOnly() async throws {
        let site = try RecordingUpstream()
        defer { site.stop() }
        let host = "rules.ask.test:\(site.port)"
        let app = try await Self.app(host: host, askSeconds: 4)
        let script = ["/once", "/late", "/kept", "/kept", "/other"].map { Self.fetch(host, $0) }.joined(separator: "\n")
        let record = try await app.launch(script)
        let once: Ask
        do { once = try await Self.pending(app, record.id, path: "/once") } catch {
            print(try await app.server.request("GET", "/api/burrows/\(record.id)/history").text)
            throw error
        }
        XCTAssertEqual(once.method, "GET")
        XCTAssertEqual(once.scope, "request")
        XCTAssertTrue(site.heads.withLock { $0.isEmpty }, "held: nothing reached the site before the answer")
        let allowedOnce = try await Self.answer(app, record.id, once, "once")
        XCTAssertEqual(allowedOnce.status, 200, allowedOnce.text)
        _ = try await Self.pending(app, record.id, path: "/late")
        let kept = try await Self.pending(app, record.id, path: "/kept")
        let forBurrow = try await Self.answer(app, record.id, kept, "burrow")
        XCTAssertEqual(forBurrow.status, 200, forBurrow.text)
        let other = try await Self.pending(app, record.id, path: "/other")
        let list = try JSONDecoder().decode(AskList.self, from: Data(try await app.server.request("GET", "/api/burrows/\(record.id)/asks").body))
        XCTAssertEqual(list.requestsAllowedForBurrow, ["GET \(host) /kept"])
        XCTAssertEqual(list.allowedForBurrow, [], "the host is not allowed as a whole")
        let deniedOther = try await Self.answer(app, record.id, other, "deny")
        XCTAssertEqual(deniedOther.status, 200, deniedOther.text)
        let events = try await app.readStream(record.id)
        let output = AskAttackTests.output(events).joined(separator: "\n")
        XCTAssertTrue(output.contains("/once exit=0") && output.contains("/late exit=1") && output.contains("/other exit=1"), output)
        XCTAssertEqual(output.components(separatedBy: "/kept exit=0").count, 3, "both /kept passed: \(output)")
        XCTAssertEqual(site.heads.withLock { $0.map { "\($0.method) \($0.target)" } }, ["GET /once", "GET /kept", "GET /kept"])
        let asks = events.filter { $0.kind == "ask" }.compactMap { try? JSONDecoder().decode(Ask.self, from: Data($0.data.utf8)) }
        XCTAssertEqual(asks.filter { $0.decision == nil }.compactMap(\.path), ["/once", "/late", "/kept", "/other"], "the second /kept did not ask")
        XCTAssertEqual(asks.compactMap(\.decision), ["once", "timeout", "burrow", "deny"])
        let net = events.filter { $0.kind == "net" }.compactMap { try? JSONDecoder().decode(NetEvent.self, from: Data($0.data.utf8)) }
        let late = try XCTUnwrap(net.first { $0.path?.hasSuffix("/late") == true && $0.phase == .denied })
        XCTAssertEqual(late.decidedBy, "timeout")
        XCTAssertTrue(late.reason?.contains("no one answered in 4 s") == true && late.reason?.contains("network.rules") == true, "\(late)")
        XCTAssertEqual(net.first { $0.path?.hasSuffix("/other") == true && $0.phase == .denied }?.decidedBy, "person")
        await app.cleanUp()
    }
}
