@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowKit
import Foundation
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// Webhook triggers: the HMAC against published vectors, the task template, and deliveries to a real
/// `burrow serve` — forged ones first.
final class TriggerTests: XCTestCase {
    func hex(_ text: String) -> [UInt8] {
        stride(from: 0, to: text.count, by: 2).map { UInt8(text.dropFirst($0).prefix(2), radix: 16)! }
    }

    /// RFC 4231 test cases 1, 2 and 6 (a key longer than the block), and GitHub's documented example.
    func testHMACSHA256MatchesPublishedVectors() throws {
        let cases: [(key: [UInt8], message: String, mac: String)] = [
            (Array(repeating: 0x0B, count: 20), "Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
            (Array("Jefe".utf8), "what do ya want for nothing?", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
            (Array(repeating: 0xAA, count: 131), "Test Using Larger Than Block-Size Key - Hash Key First",
             "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
            (Array("It's a Secret to Everybody".utf8), "Hello, World!", "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"),
        ]
        for (key, message, mac) in cases {
            XCTAssertEqual(HMACSHA256.hex(try HMACSHA256.authenticate(Array(message.utf8), key: key)), mac, message)
        }
        XCTAssertEqual(try HMACSHA256.authenticate([], key: []).count, 32)
        XCTAssertTrue(HMACSHA256.constantTimeEqual(hex("00ff"), hex("00ff")))
        XCTAssertFalse(HMACSHA256.constantTimeEqual(hex("00ff"), hex("00fe")))
        XCTAssertFalse(HMACSHA256.constantTimeEqual(hex("00ff"), hex("00")))
    }

    func testTaskTemplateFillsFieldsFromThePayload() throws {
        let payload = try JSONDecoder().decode(JSONValue.self, from: Data(#"{"issue":{"number":7,"title":"Crash","labels":[{"name":"bug"}],"locked":false,"user":{"id":1}}}"#.utf8))
        XCTAssertEqual(TaskTemplate.render("#{{issue.number}} {{ issue.title }} [{{issue.labels.0.name}}] {{issue.locked}} {{issue.missing}}|{{issue.user}}", payload: payload),
                       #"#7 Crash [bug] false |{"id":1}"#)
        XCTAssertEqual(TaskTemplate.render("no fields", payload: payload), "no fields")
        XCTAssertNotNil(TaskTemplate.problem(in: "open {{issue.title"))
        XCTAssertNotNil(TaskTemplate.problem(in: "empty {{ }}"))
        var config = Config()
        config.repos = [RepoConfig(name: "demo", path: "/r")]
        config.triggers = [TriggerConfig(name: "t", secret: .init(env: "S"), repo: "nope", task: "x")]
        XCTAssertThrowsError(try config.validate()) { XCTAssertTrue("\($0)".contains("triggers[0].repo"), "\($0)") }
        config.triggers = [TriggerConfig(name: "t", secret: .init(env: "S", file: "/f"), repo: "demo", task: "x")]
        XCTAssertThrowsError(try config.validate()) { XCTAssertTrue("\($0)".contains("triggers[0].secret"), "\($0)") }
    }

    func testDeliveriesAreCheckedThenLaunchABurrow() async throws {
        let secretFile = try TemporaryDirectory.make("burrow-hook") + "/secret"
        defer { FileSystem.removeTree(String(secretFile.dropLast(7))) }
        let secret = "hook-secret-0123456789"
        try FileSystem.writeAtomically(Array((secret + "\n").utf8), to: secretFile, mode: 0o600)
        let trigger = #", "triggers": [{"name": "fix", "secret": {"file": "\#(secretFile)"}, "repo": "demo", "task": "Issue #{{issue.number}}: {{issue.title}} TEXT=hooked", "budget": {"usd": 1}, "events": ["issues"]}]"#
        let served = try await ClientCommandBinaryTests.serve(for: self, extra: trigger)
        let target = try ServerTarget.resolve(configPath: served.config, server: nil, environmentToken: nil)
        let http = HTTPClient(address: target.address)
        let body = Array(#"{"action":"opened","issue":{"number":42,"title":"It crashes"}}"#.utf8)
        let signature = "sha256=" + HMACSHA256.hex(try HMACSHA256.authenticate(body, key: Array(secret.utf8)))
        func deliver(_ name: String = "fix", body: [UInt8] = body, signature: String?, event: String = "issues", id: String) async throws -> ClientResponse {
            var headers: HTTPHeaders = ["X-GitHub-Event": event, "X-GitHub-Delivery": id]
            if let signature { headers["X-Hub-Signature-256"] = signature }
            var request = ClientRequest(.post, "/hooks/\(name)", headers: headers, body: .bytes(body, contentType: "application/json"))
            request.host = target.host
            return try await http.send(request)
        }
        // The attacker: no signature, a wrong one, a right one for another body, one in upper case of a wrong key.
        let forged = "sha256=" + HMACSHA256.hex(try HMACSHA256.authenticate(body, key: Array("guess".utf8)))
        let tampered = Array(#"{"action":"opened","issue":{"number":42,"title":"rm -rf"}}"#.utf8)
        for (what, response) in [("unsigned", try await deliver(signature: nil, id: "a1")),
                                 ("forged", try await deliver(signature: forged, id: "a2")),
                                 ("tampered", try await deliver(body: tampered, signature: signature, id: "a3")),
                                 ("truncated", try await deliver(signature: String(signature.dropLast()), id: "a4"))] {
            XCTAssertEqual(response.status, 401, "\(what): \(response.text)")
        }
        let log = (try? String(contentsOfFile: served.state + "/../serve.log", encoding: .utf8)) ?? ""
        XCTAssertEqual(log.components(separatedBy: "trigger fix: refused a delivery").count - 1, 4, "each refusal is logged: \(log)")
        let none = try await burrows(served)
        XCTAssertEqual(none.map(\.id), [], "nothing launched by a bad signature")

        let unknown = try await deliver("nope", signature: signature, id: "b1")
        XCTAssertEqual(unknown.status, 404)
        let ping = try await deliver(signature: signature, event: "ping", id: "b2")
        XCTAssertEqual(ping.text, #"{"pong":true}"#)
        let push = try await deliver(signature: signature, event: "push", id: "b3")
        XCTAssertEqual(push.status, 202, push.text)
        let stillNone = try await burrows(served)
        XCTAssertEqual(stillNone.map(\.id), [], "ping and an event not listed launch nothing")

        let launched = try await deliver(signature: signature, id: "c1")
        XCTAssertEqual(launched.status, 201, launched.text)
        let again = try await deliver(signature: signature, id: "c1")
        XCTAssertEqual(again.status, 409, "a replayed delivery: \(again.text)")
        let records = try await burrows(served)
        XCTAssertEqual(records.map(\.task), ["Issue #42: It crashes TEXT=hooked"])
        XCTAssertEqual(records.first?.budget?.usd, 1)
        guard let id = records.first?.id else { return }
        let logs = try await ClientCommandBinaryTests.burrow(["logs", "-f", id], served)
        XCTAssertTrue(logs.stdout.contains("hooked") && logs.stdout.contains("[end] succeeded"), logs.stdout)
    }

    func testRefusalsAreLoggedWithinABound() {
        let lines = Locked<[String]>([])
        let refusals = RefusalLog { line in lines.withLock { $0.append(line) } }
        for index in 0..<25 { refusals.note("refused \(index)", now: 1_000_000_000) }
        XCTAssertEqual(lines.withLock { $0 }, (0..<20).map { "refused \($0)" }, "a flood is cut at 20 lines a minute")
        refusals.note("refused later", now: 62_000_000_000)
        XCTAssertEqual(lines.withLock { Array($0.suffix(2)) },
                       ["triggers: 5 more refused deliveries in the last minute were not logged", "refused later"])
    }

    func testAMissingSecretStopsStartUp() async throws {
        let root = try TemporaryDirectory.make("burrow-hook")
        defer { FileSystem.removeTree(root) }
        let repo = try await BurrowTestApp.makeRepo()
        defer { FileSystem.removeTree(repo) }
        let config = #"{"listen": "127.0.0.1:\#(try ClientCommandBinaryTests.freePort())", "stateDir": "\#(root)/state", "podmanSocket": "/nonexistent.sock", "repos": [{"name": "demo", "path": "\#(repo)"}], "triggers": [{"name": "t", "secret": {"env": "BURROW_TEST_UNSET_SECRET"}, "repo": "demo", "task": "x"}]}"#
        try FileSystem.writeAtomically(Array(config.utf8), to: root + "/burrow.json")
        let result = try await Subprocess.run([ClientCommandBinaryTests.binary, "serve", "--config", root + "/burrow.json"],
                                              environment: ["BURROW_TEST_UNSET_SECRET": ""], timeout: .seconds(30))
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("triggers[0].secret"), result.stderr)
    }

    func burrows(_ served: ClientCommandBinaryTests.Served) async throws -> [BurrowRecord] {
        let list = try await ClientCommandBinaryTests.burrow(["ls", "--json"], served)
        return try JSONDecoder().decode([BurrowRecord].self, from: Data(list.stdout.utf8))
    }
}
