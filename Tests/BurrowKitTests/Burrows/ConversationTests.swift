@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import Foundation
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// A burrow as a conversation: follow-up turns resume the agent's session on the same workspace.
final class ConversationTests: XCTestCase {
    func finishedTurn(_ app: BurrowTestApp, _ id: String, turn: Int) async throws -> BurrowRecord {
        try await withTimeout(60) {
            while true {
                let record = try await app.manager.record(id)
                if record.turn == turn, record.state.isFinal, record.queuedMessages.isEmpty, try await app.manager.events(id).ended { return record }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    func logTexts(_ events: [StreamEvent]) -> [String] {
        events.filter { $0.kind == "log" }.compactMap { (try? JSONDecoder().decode(OutputEvent.LogLine.self, from: Data($0.data.utf8)))?.text }
    }

    func testAFollowUpResumesTheSessionContinuesTheStreamAndAddsACommit() async throws {
        let app = try await BurrowTestApp { config in
            config.mcpServers = ["files": .object(["command": .string("mcp-files"), "args": .array([.string("--root"), .string("/workspace")])])]
        }
        let first = try await app.launch("first turn SLEEP=2 TEXT=one")
        // Sent while the first turn runs: queued, shown on the record, taken when it ends.
        let queued = try await app.server.request("POST", "/api/burrows/\(first.id)/messages", headers: ["Content-Type": "application/json"],
                                                  body: #"{"text": "second turn TEXT=two"}"#)
        XCTAssertEqual(queued.status, 202, queued.text)
        let queuedRecord = try JSONDecoder().decode(BurrowRecord.self, from: Data(queued.body))
        XCTAssertEqual(queuedRecord.queuedMessages, ["second turn TEXT=two"])
        let done = try await finishedTurn(app, first.id, turn: 2)
        XCTAssertEqual(done.state, .succeeded)
        // The agent's total_cost_usd is cumulative over a resumed session (as the real Claude Code's
        // is): the latest claim is kept, never the sum, and only as its claim (nothing was metered).
        XCTAssertEqual(done.turnCosts, [])
        XCTAssertNil(done.costUSD)
        XCTAssertEqual(done.agentReportedCostUSD ?? 0, 0.0123, accuracy: 1e-9)
        XCTAssertEqual(done.container, "burrow-\(first.id)-2")

        let events = try await app.readStream(first.id)
        XCTAssertEqual(events.map(\.id), Array(1...events.count), "one sequence across both turns, no gap")
        let ends = events.indices.filter { events[$0].kind == "end" }
        XCTAssertEqual(ends.count, 2, "each turn ends")
        let turnIndex = try XCTUnwrap(events.firstIndex { $0.kind == "turn" })
        XCTAssertTrue(events[turnIndex].data.contains("\"text\":\"second turn TEXT=two\"") && events[turnIndex].data.contains("\"turn\":2"))
        XCTAssertLessThan(ends[0], turnIndex)
        let session = try XCTUnwrap(done.sessionID)
        let secondTurn = Array(events[turnIndex...])
        let args = logTexts(secondTurn).first { $0.hasPrefix("stand-in agent args:") } ?? ""
        XCTAssertTrue(args.contains("--resume \(session)"), args)
        XCTAssertTrue(args.hasSuffix(" -p") && !args.contains("second turn"), "the message goes on stdin, not in the arguments: \(args)")
        XCTAssertTrue(secondTurn.contains { $0.kind == "agent" && $0.data.contains("\"subtype\":\"init\"") && $0.data.contains(session) })
        let times = done.turnTimes ?? []
        XCTAssertEqual(times.count, 2, "one running time per turn")
        XCTAssertTrue(times.allSatisfy { ($0.finishedAt ?? 0) >= $0.startedAt } && times[1].startedAt >= (times[0].finishedAt ?? .infinity),
                      "turn times in order, idle time between turns left out")
        XCTAssertTrue(secondTurn.contains { $0.kind == "agent" && $0.data.contains("Done: two") })
        // MCP: Burrow's config, where Claude Code reads it; nothing from the host's ~/.claude.json.
        let texts = logTexts(events)
        XCTAssertTrue(args.contains("--mcp-config \(ContainerPlan.mcpConfigPath)"), args)
        XCTAssertTrue(texts.contains { $0.hasPrefix("mcp config:") && $0.contains("\"mcpServers\"") && $0.contains("mcp-files") }, "\(texts)")
        XCTAssertFalse(texts.contains { $0.hasPrefix("found ") && $0.contains(".claude.json") })

        // A reconnecting client replays both turns.
        let resumed = try await app.readStream(first.id, lastEventID: 3)
        XCTAssertEqual(resumed, Array(events.dropFirst(3)))

        // The branch moved forward by one commit holding the second turn's change.
        let git = ["git", "-C", app.repoPath]
        let head = try await Subprocess.check(git + ["rev-parse", "burrow/\(first.id)"]).stdout.filter { !$0.isWhitespace }
        XCTAssertEqual(head, done.resultHead)
        let message = try await Subprocess.check(git + ["log", "-1", "--format=%s", "burrow/\(first.id)"]).stdout
        XCTAssertTrue(message.contains("turn 2"), message)
        let firstTurnFile = try await Subprocess.check(git + ["show", "burrow/\(first.id)^:AGENT_CHANGE.md"]).stdout
        let secondTurnFile = try await Subprocess.check(git + ["show", "burrow/\(first.id):AGENT_CHANGE.md"]).stdout
        XCTAssertTrue(firstTurnFile.contains("first turn"), firstTurnFile)
        XCTAssertTrue(secondTurnFile.contains("second turn"), secondTurnFile)
        let patch = try await app.server.request("GET", "/api/burrows/\(first.id)/diff")
        XCTAssertTrue(patch.text.contains("second turn"))

        // After teardown there is nothing to continue.
        let teardown = try await app.server.request("DELETE", "/api/burrows/\(first.id)")
        XCTAssertEqual(teardown.status, 204, teardown.text)
        let remaining = try await app.manager.podman.listContainers(label: "io.burrow.id=\(first.id)")
        XCTAssertTrue(remaining.isEmpty, "every turn's container is gone")
        let late = try await app.server.request("POST", "/api/burrows/\(first.id)/messages", headers: ["Content-Type": "application/json"],
                                                body: #"{"text": "too late"}"#)
        XCTAssertEqual(late.status, 409, late.text)
        XCTAssertTrue(late.text.contains("torn down"))
        let empty = try await app.server.request("POST", "/api/burrows/\(first.id)/messages", headers: ["Content-Type": "application/json"],
                                                 body: #"{"text": "  "}"#)
        XCTAssertEqual(empty.status, 400)
        await app.cleanUp()
    }
}
