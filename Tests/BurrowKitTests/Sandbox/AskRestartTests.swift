@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowKit
import Foundation
import XCTest

/// Burrow killed with SIGKILL while a burrow's ask waits, then started again: what a person allowed
/// for the burrow still holds (the agent, the attacker, sends it again and is not asked), the ask that
/// waited is closed and denied in the events and the audit, and a new path still asks.
final class AskRestartTests: XCTestCase {
    struct NoAsk: Error, CustomStringConvertible { let description: String }

    struct API {
        let port: UInt16
        func call(_ method: String, _ path: String, _ body: String = "") async throws -> RawClient.Response {
            let client = try await RawClient(port: port)
            defer { client.close() }
            try await client.send("\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAuthorization: Bearer restart-token\r\n"
                                  + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
            return try await client.response()
        }

        func pending(_ id: String, path: String) async throws -> Ask {
            do {
                return try await withTimeout(40) {
                    while true {
                        if let ask = try await list(id).first(where: { $0.path == path }) { return ask }
                        try await Task.sleep(for: .milliseconds(100))
                    }
                }
            } catch is TimedOut {
                throw NoAsk(description: "no ask about \(path) within 40 s; waiting instead: \(try await list(id).compactMap(\.path))")
            }
        }

        func list(_ id: String) async throws -> [Ask] {
            (try? JSONDecoder().decode(AskList.self, from: Data(try await call("GET", "/api/burrows/\(id)/asks").body)))?.asks ?? []
        }

        func answer(_ id: String, _ ask: Ask, _ answer: String) async throws -> Int {
            try await call("POST", "/api/burrows/\(id)/asks/\(ask.id)", #"{"answer": "\#(answer)"}"#).status
        }
    }

    func testAllowedForTheBurrowSurvivesARestartAndAWaitingAskIsDeniedAndAudited() async throws {
        _ = try await PodmanTestEnvironment.client()
        let site = try RecordingUpstream()
        defer { site.stop() }
        let host = "rules.ask.test:\(site.port)"
        let repo = try await BurrowTestApp.makeRepo()
        let state = try TemporaryDirectory.make("burrow-ask-restart")
        FileSystem.setMode(state, 0o711)
        let configPath = state + "/burrow.json"
        let network = #"{"mode": "allowlist", "allow": ["\#(host)"], "rules": {"\#(host)": ["GET /public/**"]}, "unlisted": "ask", "askSeconds": 60, "#
            + #""resolve": {"rules.ask.test": "127.0.0.1"}}"#
        try FileSystem.writeAtomically(Array("""
            {"listen": "127.0.0.1:0", "stateDir": "\(state)/state", "podmanSocket": "\(PodmanTestEnvironment.socket!)",
             "image": "\(PodmanTestEnvironment.image)", "network": \(network), "caches": [], "agentCommand": ["sh", "-c"], "taskInput": "argument",
             "repos": [{"name": "demo", "path": "\(repo)"}]}
            """.utf8), to: configPath)
        var (process, port) = try RestartTests.startBurrow(config: configPath, log: state + "/serve.log")
        // After the kill, the agent waits until the proxy answers again (an allowed path), then retries.
        let back = "for i in $(seq 60); do wget -q -O /dev/null http://\(host)/public/ping && break; sleep 1; done"
        let script = [RequestAskAttackTests.fetch(host, "/kept"), RequestAskAttackTests.fetch(host, "/waiting"), back,
                      RequestAskAttackTests.fetch(host, "/kept"), RequestAskAttackTests.fetch(host, "/after")].joined(separator: "\n")
        let body = String(decoding: try JSONEncoder().encode(["repo": "demo", "task": script]), as: UTF8.self)
        let created = try await API(port: port).call("POST", "/api/burrows", body)
        XCTAssertEqual(created.status, 201, created.text)
        let record = try JSONDecoder().decode(BurrowRecord.self, from: Data(created.body))
        let podman = try await PodmanTestEnvironment.client()
        // Also when an assertion fails: the container, its workspace and its config volume (which holds an id range).
        TestCleanup.shared.add {
            try? await podman.remove(record.container)
            for volume in [record.workspaceVolume, record.configVolume] { try? await podman.removeVolume(volume, force: true) }
        }
        let kept = try await API(port: port).pending(record.id, path: "/kept")
        let allowed = try await API(port: port).answer(record.id, kept, "burrow")
        XCTAssertEqual(allowed, 200)
        _ = try await API(port: port).pending(record.id, path: "/waiting")
        let folder = "\(state)/state/burrows/\(record.id)"
        // The page lists an ask as it opens; the record keeps it a moment later: kill after that.
        try await withTimeout(20) {
            while (try? JSONDecoder().decode(BurrowRecord.self, from: Data(try FileSystem.readFile(folder + "/record.json"))))?
                .asks?.waiting.contains(where: { $0.path == "/waiting" }) != true {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        (process, port) = try RestartTests.startBurrow(config: configPath, log: state + "/serve.log")
        defer { process.terminate() }
        let after = try await API(port: port).pending(record.id, path: "/after")
        let denied = try await API(port: port).answer(record.id, after, "deny")
        XCTAssertEqual(denied, 200)
        let events = try await withTimeout(60) { () async throws -> [(kind: String, data: String)] in
            while true {
                let text = (try? String(contentsOfFile: folder + "/events.ndjson", encoding: .utf8)) ?? ""
                if text.contains("\"kind\":\"end\"") { return text.split(separator: "\n").compactMap { BurrowEvents.parse($0) }.map { ($0.kind, String($0.data)) } }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        let output = events.filter { $0.kind == "log" }
            .compactMap { (try? JSONDecoder().decode(OutputEvent.LogLine.self, from: Data($0.data.utf8)))?.text }.joined(separator: "\n")
        XCTAssertEqual(output.components(separatedBy: "/kept exit=0").count, 3, "both /kept passed, the second after the restart: \(output)")
        XCTAssertTrue(output.contains("/waiting exit=1") && output.contains("/after exit=1"), output)
        let asks = events.filter { $0.kind == "ask" }.compactMap { try? JSONDecoder().decode(Ask.self, from: Data($0.data.utf8)) }
        XCTAssertEqual(asks.filter { $0.decision == nil }.compactMap(\.path), ["/kept", "/waiting", "/after"], "the second /kept did not ask")
        XCTAssertEqual(asks.first { $0.path == "/waiting" && $0.decision != nil }?.decision, "restart")
        let net = events.filter { $0.kind == "net" }.compactMap { try? JSONDecoder().decode(NetEvent.self, from: Data($0.data.utf8)) }
        XCTAssertTrue(net.contains { $0.path == "/waiting" && $0.phase == .denied && $0.reason?.contains("Burrow stopped while a person was asked") == true }, "\(net)")
        let audit = String(decoding: try FileSystem.readFile(folder + "/" + BurrowAudit.fileName), as: UTF8.self)
        XCTAssertTrue(audit.contains("Burrow stopped while a person was asked") && audit.contains("waiting"), audit)
        XCTAssertEqual(site.heads.withLock { $0.map(\.target) }.filter { $0 != "/public/ping" }, ["/kept", "/kept"])
        let finalRecord = try JSONDecoder().decode(BurrowRecord.self, from: Data(try FileSystem.readFile(folder + "/record.json")))
        XCTAssertEqual(finalRecord.asks?.requests, ["GET \(host) /kept"])
        XCTAssertEqual(finalRecord.asks?.waiting, [])
    }
}
