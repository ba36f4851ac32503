@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import Foundation
import XCTest

/// A repo's check, run in the burrow's sandbox after each turn (the agents are `sh -c` scripts; the
/// checks print what they like: their output is hostile input too).
final class CheckTests: XCTestCase {
    static let session = #"echo '{"type":"system","subtype":"init","session_id":"s-check"}'; "#

    static func withCheck(_ check: CheckCommand, timeout: Int? = nil, retries: Int? = nil, resume: [String]? = nil) -> (inout Config) -> Void {
        { config in
            config.repos[0].check = check
            config.repos[0].checkTimeoutSeconds = timeout
            config.repos[0].checkRetries = retries
            if let resume { config.resumeCommand = resume }
        }
    }

    func checkEvents(_ app: BurrowTestApp, _ id: String) async throws -> [[String: Any]] {
        let lines = try FileSystem.readFile(app.stateDir + "/burrows/\(id)/events.ndjson")
        return String(decoding: lines, as: UTF8.self).split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  object["kind"] as? String == "check" else { return nil }
            return object["data"] as? [String: Any]
        }
    }

    /// The check sees the agent's work, as the agent's user, in the same sandbox; a failed one is on
    /// the record and in the transcript with its exit status.
    func testCheckRunsInTheSandboxOnTheAgentsWorkspace() async throws {
        let attack = try await AttackBurrow.make(self, configure: Self.withCheck(.shell("id -u; cat /workspace/answer.txt; exit 3")))
        let record = try await attack.run("echo forty-two > /workspace/answer.txt")
        XCTAssertEqual(record.state, .succeeded, record.error ?? "")
        let check = try XCTUnwrap(record.check)
        XCTAssertEqual(check.status, .failed)
        XCTAssertEqual(check.exitCode, 3)
        XCTAssertEqual(check.turn, 1)
        XCTAssertNotNil(check.durationMs)
        let events = try await checkEvents(attack.app, record.id)
        XCTAssertEqual(events.count, 1)
        let output = events.first?["output"] as? String ?? ""
        XCTAssertTrue(output.contains("forty-two"), output)
        XCTAssertEqual(output.split(separator: "\n").first.map(String.init), String(record.user?.uid ?? 1000), output)
        let left = try await attack.app.manager.podman.listContainers(label: "io.burrow.check")
        XCTAssertFalse(left.contains { $0.names.contains(record.container + "-check") }, "the check's container is removed")
    }

    /// checkRetries: the failed check's output goes back to the agent as a follow-up, which fixes it.
    func testCheckRetriesTurnAFailingAttemptIntoAPassingOne() async throws {
        // The resumed agent reads the follow-up (its last argument) and fixes only what the check said.
        let resume = ["sh", "-c", Self.session + #"case "$0" in *"missing fixed"*) echo ok > /workspace/fixed;; esac"#]
        let attack = try await AttackBurrow.make(self, configure: Self.withCheck(
            .shell("test -f /workspace/fixed || { echo missing fixed; exit 1; }"), retries: 2, resume: resume))
        let launched = try await attack.app.launch(Self.session + "echo draft > /workspace/draft.txt")
        let record = try await withTimeout(180) {
            while true {
                let record = try await attack.app.record(launched.id)
                if record.turn == 2, record.state.isFinal, record.queuedMessages.isEmpty, record.check?.turn == 2,
                   record.check?.status != .running { return record }
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        XCTAssertEqual(record.check?.status, .passed, "\(String(describing: record.check))")
        XCTAssertEqual(record.check?.retriesUsed, 1)
        let events = try await checkEvents(attack.app, record.id)
        XCTAssertEqual(events.compactMap { ($0["check"] as? [String: Any])?["status"] as? String }, ["failed", "passed"])
        let stream = try FileSystem.readFile(attack.app.stateDir + "/burrows/\(record.id)/events.ndjson")
        XCTAssertTrue(String(decoding: stream, as: UTF8.self).contains("missing fixed"), "the follow-up carried the check's output")
    }

    /// A check that prints megabytes: its tail is kept, the rest counted, the record says how much.
    func testCheckThatPrintsMegabytesIsBounded() async throws {
        let attack = try await AttackBurrow.make(self, configure: Self.withCheck(
            .shell("head -c 5000000 /dev/zero | tr '\\0' x; echo; echo THE-END")))
        let record = try await attack.run("true")
        let check = try XCTUnwrap(record.check)
        XCTAssertEqual(check.status, .passed)
        XCTAssertEqual(check.outputBytes, 5_000_009)
        XCTAssertEqual(check.cutBytes, 5_000_009 - CheckOutput.defaultLimit)
        let events = try await checkEvents(attack.app, record.id)
        let output = events.first?["output"] as? String ?? ""
        XCTAssertEqual(output.utf8.count, CheckOutput.defaultLimit)
        XCTAssertTrue(output.hasSuffix("THE-END\n"), String(output.suffix(40)))
    }

    /// A check that never exits is killed at checkTimeoutSeconds; the burrow ends as its agent did.
    func testCheckThatNeverExitsTimesOut() async throws {
        let attack = try await AttackBurrow.make(self, configure: Self.withCheck(.argv(["sh", "-c", "echo waiting; exec sleep 1000"]), timeout: 2))
        let started = Date()
        let record = try await attack.run("true", within: 90)
        XCTAssertLessThan(Date().timeIntervalSince(started), 60)
        XCTAssertEqual(record.state, .succeeded, record.error ?? "")
        XCTAssertEqual(record.check?.status, .timedOut)
        XCTAssertGreaterThanOrEqual(record.check?.durationMs ?? 0, 2000)
        let output = try await checkEvents(attack.app, record.id).first?["output"] as? String
        XCTAssertEqual(output, "waiting\n")
        let left = try await attack.app.manager.podman.listContainers(label: "io.burrow.id=\(record.id)")
        XCTAssertFalse(left.contains { $0.names.contains(record.container + "-check") }, "the hung check is gone")
    }

    /// Stopping the burrow while its check runs ends the check at once, not at its time limit.
    func testStoppingTheBurrowEndsItsCheck() async throws {
        let attack = try await AttackBurrow.make(self, configure: Self.withCheck(.shell("exec sleep 1000"), timeout: 600))
        let launched = try await attack.app.launch("true")
        try await withTimeout(90) {
            while try await attack.app.record(launched.id).check?.status != .running { try await Task.sleep(for: .milliseconds(100)) }
        }
        let stopped = Date()
        _ = try await attack.app.manager.stop(launched.id)
        let record = try await attack.app.finished(launched.id, within: 60)
        XCTAssertLessThan(Date().timeIntervalSince(stopped), 30)
        XCTAssertEqual(record.state, .stopped)
        XCTAssertEqual(record.check?.status, .error)
        XCTAssertEqual(record.check?.error, "stopped with the burrow")
    }

    func testCheckSettingsAreValidated() {
        var config = Config()
        config.repos = [RepoConfig(name: "demo", path: "/tmp")]
        config.repos[0].check = .shell("  ")
        XCTAssertThrowsError(try config.validate()) { XCTAssertTrue("\($0)".contains("check"), "\($0)") }
        config.repos[0].check = .argv([])
        XCTAssertThrowsError(try config.validate())
        config.repos[0].check = .shell("make test")
        config.repos[0].checkRetries = 11
        XCTAssertThrowsError(try config.validate()) { XCTAssertTrue("\($0)".contains("checkRetries"), "\($0)") }
        config.repos[0].checkRetries = 1
        config.repos[0].checkTimeoutSeconds = 0
        XCTAssertThrowsError(try config.validate()) { XCTAssertTrue("\($0)".contains("checkTimeoutSeconds"), "\($0)") }
        config.repos[0].checkTimeoutSeconds = 5
        XCTAssertNoThrow(try config.validate())
    }

    func testCheckIsAShellStringOrAnArgvInTheConfigFile() throws {
        let shell = try ConfigLoader.parse(Array(#"{"repos": [{"name": "d", "path": "/d", "check": "make test", "checkRetries": 2}]}"#.utf8), file: "c.json")
        XCTAssertEqual(shell.repos[0].check?.arguments, ["sh", "-c", "make test"])
        XCTAssertEqual(shell.repos[0].resolvedCheckRetries, 2)
        XCTAssertEqual(shell.repos[0].resolvedCheckTimeoutSeconds, 600)
        let argv = try ConfigLoader.parse(Array(#"{"repos": [{"name": "d", "path": "/d", "check": ["pytest", "-q"], "checkTimeoutSeconds": 30}]}"#.utf8), file: "c.json")
        XCTAssertEqual(argv.repos[0].check?.arguments, ["pytest", "-q"])
        XCTAssertEqual(argv.repos[0].resolvedCheckTimeoutSeconds, 30)
        XCTAssertThrowsError(try ConfigLoader.parse(Array(#"{"repos": [{"name": "d", "path": "/d", "check": 3}]}"#.utf8), file: "c.json"))
    }
}
