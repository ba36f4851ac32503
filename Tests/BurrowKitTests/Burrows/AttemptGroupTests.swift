@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import Foundation
import XCTest

/// Best of N over the API against real Podman: the attempts are `sh -c` scripts that differ, the
/// repo's check passes in exactly one of them.
final class AttemptGroupTests: XCTestCase {
    static let session = #"echo '{"type":"system","subtype":"init","session_id":"s-group"}'; "#

    static func configure(_ config: inout Config) {
        config.repos[0].check = .shell("grep -qx good /workspace/answer.txt || { echo \"answer: $(cat /workspace/answer.txt)\"; exit 1; }")
        config.resumeCommand = ["sh", "-c", session + "echo followed > /workspace/followed.txt"]
    }

    func post(_ app: BurrowTestApp, _ path: String, _ body: String) async throws -> (status: Int, json: [String: Any], text: String) {
        let response = try await app.server.request("POST", path, headers: ["Content-Type": "application/json"], body: body)
        return (response.status, (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]) ?? [:], response.text)
    }

    func group(_ app: BurrowTestApp, _ id: String) async throws -> [String: Any] {
        let response = try await app.server.request("GET", "/api/groups/\(id)")
        XCTAssertEqual(response.status, 200, response.text)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
    }

    /// Waits until every attempt ended its turn `turn` and its check.
    func settled(_ app: BurrowTestApp, _ id: String, turn: Int = 1) async throws -> [String: Any] {
        try await withTimeout(180) {
            while true {
                let records = await app.manager.list().filter { $0.group == id }
                if !records.isEmpty, records.allSatisfy({ $0.turn == turn && $0.state.isFinal && $0.queuedMessages.isEmpty && $0.check?.turn == turn
                    && $0.check?.status != .running }) { return }
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        return try await group(app, id)
    }

    func testGroupOfThreeWithACheckThatPassesInOneIsPickedAndTheOthersTornDown() async throws {
        let attack = try await AttackBurrow.make(self, configure: Self.configure)
        let app = attack.app
        let scripts = ["echo bad > /workspace/answer.txt", "echo good > /workspace/answer.txt", "echo worse > /workspace/answer.txt"]
        let body: [String: Any] = ["repo": "demo", "task": "answer", "attempts": scripts.map { ["agentCommand": ["sh", "-c", Self.session + $0]] }]
        let launched = try await post(app, "/api/burrows", String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self))
        XCTAssertEqual(launched.status, 201, launched.text)
        let id = try XCTUnwrap(launched.json["id"] as? String)
        let group = try await settled(app, id)
        XCTAssertEqual(group["passed"] as? Int, 1)
        XCTAssertEqual(group["failed"] as? Int, 2)
        let each = try XCTUnwrap(group["attempts"] as? [[String: Any]])
        XCTAssertEqual(each.map { $0["attempt"] as? Int }, [1, 2, 3])
        XCTAssertEqual(each.map { ($0["check"] as? [String: Any])?["status"] as? String }, ["failed", "passed", "failed"])
        XCTAssertEqual(each.map { ($0["changes"] as? [String: Any])?["totalFiles"] as? Int }, [1, 1, 1])
        XCTAssertTrue(each.allSatisfy { $0["state"] as? String == "succeeded" && $0["durationMs"] is Int && $0["turns"] as? Int == 1 })
        let ids = each.compactMap { $0["id"] as? String }
        let diff = try await app.server.request("GET", "/api/burrows/\(ids[0])/diff")
        XCTAssertTrue(diff.text.contains("+bad"), diff.text)

        // A follow-up to all: each attempt takes a second turn, and is checked again.
        let message = try await post(app, "/api/groups/\(id)/messages", #"{"text": "once more"}"#)
        XCTAssertEqual(message.status, 202, message.text)
        let again = try await settled(app, id, turn: 2)
        XCTAssertEqual(again["passed"] as? Int, 1)
        XCTAssertEqual((again["attempts"] as? [[String: Any]])?.map { ($0["changes"] as? [String: Any])?["totalFiles"] as? Int }, [2, 2, 2])

        let notInGroup = try await post(app, "/api/groups/\(id)/pick", #"{"attempt": "nope"}"#)
        XCTAssertEqual(notInGroup.status, 400, notInGroup.text)
        let picked = try await post(app, "/api/groups/\(id)/pick", #"{"attempt": "\#(ids[1])", "teardownOthers": true}"#)
        XCTAssertEqual(picked.status, 200, picked.text)
        XCTAssertEqual((picked.json["tornDown"] as? [String])?.sorted(), [ids[0], ids[2]].sorted())
        XCTAssertEqual((picked.json["group"] as? [String: Any])?["picked"] as? String, ids[1])
        let branches = try await Subprocess.check(["git", "-C", app.repoPath, "branch", "--list", "burrow/*"]).stdout
        XCTAssertTrue(branches.contains("burrow/\(ids[1])"), branches)
        XCTAssertFalse(branches.contains("burrow/\(ids[0])") || branches.contains("burrow/\(ids[2])"), branches)
        let answer = try await Subprocess.check(["git", "-C", app.repoPath, "show", "burrow/\(ids[1]):answer.txt"]).stdout
        XCTAssertEqual(answer, "good\n")
        for other in [ids[0], ids[2]] {
            let record = try await app.record(other)
            XCTAssertTrue(record.tornDown)
            let volume = try await app.manager.podman.volumeExists(record.workspaceVolume)
            XCTAssertFalse(volume, "the workspace of \(other) is gone")
        }
    }

    /// Bad input launches nothing; an attempt whose agent fails leaves the others alone; Pick of an
    /// attempt that changed nothing is refused with the reason.
    func testBadAttemptsAreRefusedAndAFailedAttemptLeavesTheOthersAlone() async throws {
        let attack = try await AttackBurrow.make(self, configure: Self.configure)
        let app = attack.app
        let refused: [(body: String, says: String)] = [
            (#""attempts": 9"#, "from 1 to 8"),
            (#""attempts": 0"#, "from 1 to 8"),
            (#""attempts": []"#, "from 1 to 8"),
            (#""attempts": [{"model": "gpt-imaginary"}]"#, "unknown model 'gpt-imaginary'"),
            (#""attempts": [{}, {"agentCommand": ["rm", "-rf", "/"]}]"#, "unknown agent command 'rm'"),
            (#""attempts": [{"modle": "opus"}]"#, "modle"),
            (#""groupBudgetUSD": 5"#, "groupBudgetUSD"),
            (#""attempts": 2, "groupBudgetUSD": -1"#, "groupBudgetUSD"),
        ]
        for (body, says) in refused {
            let response = try await post(app, "/api/burrows", #"{"repo": "demo", "task": "x", \#(body)}"#)
            XCTAssertEqual(response.status, 400, body + ": " + response.text)
            XCTAssertTrue(response.text.contains(says), body + ": " + response.text)
        }
        let none = await app.manager.list()
        XCTAssertTrue(none.isEmpty, "nothing launched: \(none.map(\.id))")

        let launched = try await post(app, "/api/burrows", #"""
            {"repo": "demo", "task": "t", "groupBudgetUSD": 3, "attempts": [{"agentCommand": ["sh", "-c", "echo boom >&2; exit 7"]},
             {"agentCommand": ["sh", "-c", "true"], "model": "sonnet"}]}
            """#)
        XCTAssertEqual(launched.status, 201, launched.text)
        let id = try XCTUnwrap(launched.json["id"] as? String)
        let group = try await settled(app, id)
        let each = try XCTUnwrap(group["attempts"] as? [[String: Any]])
        XCTAssertEqual(each.map { $0["state"] as? String }, ["failed", "succeeded"])
        XCTAssertEqual(each[1]["model"] as? String, "sonnet")
        XCTAssertEqual(group["groupBudgetUSD"] as? Double, 3)
        let records = await app.manager.list().filter { $0.group == id }
        XCTAssertEqual(records.map { $0.budget?.usd }, [1.5, 1.5], "each attempt's share of the group's budget")
        let ids = each.compactMap { $0["id"] as? String }
        let nothing = try await post(app, "/api/groups/\(id)/pick", #"{"attempt": "\#(ids[1])", "teardownOthers": true}"#)
        XCTAssertEqual(nothing.status, 409, nothing.text)
        XCTAssertTrue(nothing.text.contains("changed nothing"), nothing.text)
        let untouched = await app.manager.list().filter { $0.group == id }
        XCTAssertTrue(untouched.allSatisfy { !$0.tornDown && $0.picked == nil }, "a refused pick changes nothing")
        let missing = try await app.server.request("GET", "/api/groups/gnope")
        XCTAssertEqual(missing.status, 404)
    }
}
