@testable import BurrowKit
@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman
import Foundation
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// The real Claude Code CLI in real burrows (the agent image of images/agent-debian), its API calls
/// going through Burrow's model endpoint to a scripted stand-in of the Messages API.
final class RealAgentTests: XCTestCase {
    typealias API = ScriptedMessagesAPI
    static let apiKey = "sk-ant-api03-burrow-test-real-key"
    static let oauthToken = "sk-ant-oat01-burrow-test-real-token"

    static func input(_ object: [String: String]) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    /// Turn 1: Write, Edit, Bash, the probe MCP tool, then a final text. Turn 2 (its prompt says
    /// SECOND TURN): one Bash, then a text saying whether the request held turn 1's tool calls.
    static let script: API.Script = { conversation in
        if conversation.userTexts.contains(where: { $0.contains("SECOND TURN") }) {
            return API.steps([[.toolUse(id: "toolu_turn2_bash", name: "Bash",
                                        input: input(["command": "echo second-turn-line >> /workspace/notes/hello.txt", "description": "Append a line"]))]],
                             final: { seen in
                                 seen.toolUseIDs.isSuperset(of: ["toolu_write", "toolu_edit", "toolu_bash"]) ? "context: saw turn one" : "context: none"
                             })(conversation)
        }
        return API.steps([
            [.text("Writing the file."),
             .toolUse(id: "toolu_write", name: "Write", input: input(["file_path": "/workspace/notes/hello.txt", "content": "hello from the real agent\nline two\n"]))],
            [.toolUse(id: "toolu_edit", name: "Edit",
                      input: input(["file_path": "/workspace/notes/hello.txt", "old_string": "line two", "new_string": "line two, edited"]))],
            [.toolUse(id: "toolu_bash", name: "Bash",
                      input: input(["command": "cat /workspace/notes/hello.txt; echo bash-marker-$((6*7))", "description": "Show the file"]))],
            [.toolUse(id: "toolu_mcp", name: "mcp__probe__stamp", input: input(["word": "hi"]))],
        ], final: { _ in "All done: wrote, edited, ran bash and called the probe." })(conversation)
    }

    func finishedTurn(_ app: BurrowTestApp, _ id: String, turn: Int) async throws -> BurrowRecord {
        try await withTimeout(180) {
            while true {
                let record = try await app.manager.record(id)
                if record.turn == turn, record.state.isFinal, record.queuedMessages.isEmpty, try await app.manager.events(id).ended { return record }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    func testTheRealClaudeCodeWritesEditsRunsBashCallsMCPAndResumesItsSession() async throws {
        let api = try API(script: Self.script)
        let mcp: JSONValue = .object(["command": .string("python3"), "args": .array([.string("/workspace/" + ProbeMCPServer.fileName)])])
        try await RealAgentEnvironment.with(api: api, credential: Self.apiKey, configure: { $0.mcpServers = ["probe": mcp] }) { app in
            let launched = try await app.launch("Write notes/hello.txt, edit it, show it, stamp it.")
            let first = try await finishedTurn(app, launched.id, turn: 1)
            let events = RealAgentEnvironment.agentEvents(try await app.readStream(launched.id))
            let verbose = ProcessInfo.processInfo.environment["BURROW_TEST_VERBOSE"] != nil
            if verbose { print(events.map { String(decoding: try! JSONEncoder().encode($0), as: UTF8.self) }.joined(separator: "\n")) }
            XCTAssertEqual(first.state, .succeeded, first.error ?? "")
            XCTAssertNil(first.error)

            // The key reached the stand-in from Burrow's endpoint; the agent only ever had a placeholder.
            XCTAssertFalse(api.agentRequests.isEmpty)
            for request in api.requests {
                XCTAssertEqual(request.headers["x-api-key"], Self.apiKey, request.target)
                XCTAssertNil(request.headers["authorization"], request.target)
            }
            XCTAssertTrue(api.agentRequests.allSatisfy { $0.target == "/v1/messages?beta=true" && $0.streamed }, "\(api.agentRequests.map(\.target))")

            let initEvent = try XCTUnwrap(events.first { $0["type"] == .string("system") && $0["subtype"] == .string("init") })
            guard case .array(let servers)? = initEvent["mcp_servers"] else { return XCTFail("no mcp_servers in \(initEvent)") }
            XCTAssertTrue(servers.contains { $0["name"] == .string("probe") && $0["status"] == .string("connected") }, "\(servers)")
            let results = RealAgentEnvironment.toolResults(events)
            XCTAssertTrue(results.contains { $0.contains("line two, edited") && $0.contains("bash-marker-42") }, "\(results)")
            XCTAssertTrue(results.contains { $0.contains(ProbeMCPServer.stamp + " hi") }, "the MCP tool ran: \(results)")
            let result = try XCTUnwrap(events.last { $0["type"] == .string("result") })
            XCTAssertEqual(result["subtype"], .string("success"))
            XCTAssertEqual(result["is_error"], .bool(false))
            XCTAssertEqual(first.result, "All done: wrote, edited, ran bash and called the probe.")

            let patch = String(decoding: try await app.manager.patch(launched.id) ?? [], as: UTF8.self)
            XCTAssertTrue(patch.contains("+hello from the real agent") && patch.contains("+line two, edited"), patch)
            let git = ["git", "-C", app.repoPath]
            let file = try await Subprocess.check(git + ["show", "burrow/\(launched.id):notes/hello.txt"]).stdout
            XCTAssertEqual(file, "hello from the real agent\nline two, edited\n")

            // A follow-up resumes the session: its request carries turn 1's prompt and tool calls.
            _ = try await app.manager.sendMessage(launched.id, text: "SECOND TURN: add a line.")
            let second = try await finishedTurn(app, launched.id, turn: 2)
            XCTAssertEqual(second.state, .succeeded, second.error ?? "")
            XCTAssertEqual(second.sessionID, first.sessionID)
            XCTAssertEqual(second.result, "context: saw turn one")
            let turnTwo = try XCTUnwrap(api.agentRequests.last?.conversation)
            XCTAssertTrue(turnTwo.userTexts.contains { $0.contains("Write notes/hello.txt, edit it") }, "\(turnTwo.userTexts)")
            let after = try await Subprocess.check(git + ["show", "burrow/\(launched.id):notes/hello.txt"]).stdout
            XCTAssertEqual(after, "hello from the real agent\nline two, edited\nsecond-turn-line\n")
            // The real CLI's numbers: a resumed turn's total_cost_usd covers the whole session.
            let turnTwoEvents = RealAgentEnvironment.agentEvents(try await app.readStream(launched.id, lastEventID: second.turnStart))
            let costs = (events + turnTwoEvents).filter { $0["type"] == .string("result") }.compactMap { event -> Double? in
                if case .number(let cost)? = event["total_cost_usd"] { cost } else { nil }
            }
            XCTAssertEqual(costs.count, 2)
            XCTAssertGreaterThan(costs.last ?? 0, costs.first ?? 0, "cumulative over the session: \(costs)")
        }
    }

    func testOAuthModeSendsTheTokenAsBearerWithTheBetaFlag() async throws {
        let api = try API(script: API.steps([], final: { _ in "oauth ok" }))
        try await RealAgentEnvironment.with(api: api, credential: Self.oauthToken) { app in
            let launched = try await app.launch("Say hello.")
            let record = try await app.finished(launched.id, within: 120)
            XCTAssertEqual(record.state, .succeeded, record.error ?? "")
            XCTAssertEqual(record.result, "oauth ok")
            XCTAssertEqual(record.billing, "subscription", "the page shows its cost at API prices, as a comparison")
            let agent = try XCTUnwrap(api.agentRequests.first)
            XCTAssertEqual(agent.headers["authorization"], "Bearer \(Self.oauthToken)")
            XCTAssertTrue(agent.headers.values("anthropic-beta").joined(separator: ",").contains("oauth-2025-04-20"), "\(agent.headers)")
            XCTAssertFalse(api.requests.contains { $0.headers["x-api-key"] != nil }, "no x-api-key beside the bearer token")
        }
    }

    func testAnAPIErrorEndsTheBurrowFailedWithTheAPIsReason() async throws {
        let api = try API(script: { conversation in
            if conversation.userTexts.contains(where: { $0.contains("OVERLOADED") }) {
                return .error(status: 529, type: "overloaded_error", message: "Overloaded (stand-in)")
            }
            return .error(status: 400, type: "invalid_request_error", message: "stand-in refuses this prompt")
        })
        try await RealAgentEnvironment.with(api: api, credential: Self.apiKey, configure: { $0.env["CLAUDE_CODE_MAX_RETRIES"] = "1" }) { app in
            let refused = try await app.launch("REFUSED: do something.")
            let overloaded = try await app.launch("OVERLOADED: do something.")
            let refusedRecord = try await app.finished(refused.id, within: 120)
            let overloadedRecord = try await app.finished(overloaded.id, within: 120)

            XCTAssertEqual(refusedRecord.state, .failed)
            XCTAssertEqual(refusedRecord.billing, "api")
            let refusedError = refusedRecord.error ?? ""
            XCTAssertTrue(refusedError.contains("400") && refusedError.contains("stand-in refuses this prompt"), refusedError)
            XCTAssertEqual(overloadedRecord.state, .failed)
            let overloadedError = overloadedRecord.error ?? ""
            XCTAssertTrue(overloadedError.contains("529") || overloadedError.contains("Overloaded"), overloadedError)

            // Claude Code's own account is kept as it wrote it: the retry, and a result with is_error.
            let events = RealAgentEnvironment.agentEvents(try await app.readStream(overloaded.id))
            if ProcessInfo.processInfo.environment["BURROW_TEST_VERBOSE"] != nil {
                print(events.map { String(decoding: try! JSONEncoder().encode($0), as: UTF8.self) }.joined(separator: "\n"))
            }
            XCTAssertTrue(events.contains { $0["type"] == .string("system") && $0["subtype"] == .string("api_retry") }, "no api_retry event")
            let result = try XCTUnwrap(events.last { $0["type"] == .string("result") })
            XCTAssertEqual(result["is_error"], .bool(true))
            XCTAssertGreaterThanOrEqual(api.agentRequests.filter { $0.conversation?.userTexts.contains { $0.contains("OVERLOADED") } == true }.count, 2,
                                        "retried once")
        }
    }
}
