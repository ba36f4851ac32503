@testable import BurrowKit
@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman
import Foundation
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// The real Claude Code and a repo's check: the check runs in the burrow's sandbox (allowlist
/// network, the agent image) after the turn, fails, goes back to the agent as a follow-up, and the
/// agent's fix passes it. The model is the scripted stand-in of the Messages API.
final class RealAgentCheckTests: XCTestCase {
    typealias API = ScriptedMessagesAPI

    /// Turn 1 writes a wrong answer; a turn whose prompt carries the check's failure writes the right one.
    static let script: API.Script = { conversation in
        if conversation.userTexts.contains(where: { $0.contains("The repository's check") && $0.contains("expected 42, got 41") }) {
            return API.steps([[.toolUse(id: "toolu_fix", name: "Write",
                                        input: RealAgentTests.input(["file_path": "/workspace/answer.txt", "content": "42\n"]))]],
                             final: { _ in "Fixed the answer." })(conversation)
        }
        return API.steps([[.toolUse(id: "toolu_answer", name: "Write",
                                    input: RealAgentTests.input(["file_path": "/workspace/answer.txt", "content": "41\n"]))]],
                         final: { _ in "Wrote the answer." })(conversation)
    }

    func testTheRealClaudeCodeFixesWhatTheCheckFound() async throws {
        let api = try API(script: Self.script)
        try await RealAgentEnvironment.with(api: api, credential: RealAgentTests.apiKey, configure: { config in
            config.repos[0].check = .shell(#"a=$(cat /workspace/answer.txt); [ "$a" = 42 ] || { echo "expected 42, got $a"; exit 1; }"#)
            config.repos[0].checkRetries = 1
        }) { app in
            let launched = try await app.launch("Write the answer into answer.txt.")
            let record = try await withTimeout(240) {
                while true {
                    let record = try await app.manager.record(launched.id)
                    if record.turn == 2, record.state.isFinal, record.queuedMessages.isEmpty, record.check?.turn == 2,
                       record.check?.status != .running { return record }
                    if record.turn == 1, record.state.isFinal, record.queuedMessages.isEmpty, record.check?.status == .passed { return record }
                    try await Task.sleep(for: .milliseconds(200))
                }
            }
            XCTAssertEqual(record.state, .succeeded, record.error ?? "")
            XCTAssertEqual(record.turn, 2, "the failed check went back to the agent")
            XCTAssertEqual(record.check?.status, .passed, "\(String(describing: record.check))")
            XCTAssertEqual(record.check?.retriesUsed, 1)
            XCTAssertEqual(record.result, "Fixed the answer.")
            let fixRequest = api.agentRequests.last?.conversation?.userTexts ?? []
            XCTAssertTrue(fixRequest.contains { $0.contains("expected 42, got 41") }, "\(fixRequest)")
            let answer = try await Subprocess.check(["git", "-C", app.repoPath, "show", "burrow/\(launched.id):answer.txt"]).stdout
            XCTAssertEqual(answer, "42\n")
        }
    }
}
