@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import Foundation
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// Metering and budgets at the model endpoint, from inside real burrows: the agent (a shell script)
/// calls the endpoint itself and forges a cost; Burrow counts what the upstream reported.
final class MeteringBudgetTests: XCTestCase {
    /// One streamed answer of the stand-in: input 100, cache write 20, cache read 30, output 7 (157 tokens).
    static let perResponse = TokenUsage(inputTokens: 100, outputTokens: 7, cacheCreationTokens: 20, cacheReadTokens: 30)
    static let costPerResponse: Double = (400.0 + 140.0 + 100.0 + 6.0) / 1e6  // opus-5-5: $4 in, $20 out, $5 cache write, $0.2 cache read

    /// The agent: says its session, calls the model endpoint `$1` times, prints each status, claims a cost.
    static let script = """
    echo '{"type":"system","subtype":"init","session_id":"meter-session"}'
    echo "work of $1" >> /workspace/METERED.txt
    n=${MODEL_CALLS:-2}; case "$1" in *calls=*) n=${1##*calls=};; esac
    i=0; while [ $i -lt $n ]; do i=$((i+1))
      body='{"model":"claude-opus-5-5","max_tokens":16,"stream":true,"messages":[]}'
      printf 'POST /v1/messages?beta=true HTTP/1.1\\r\\nHost: x\\r\\nContent-Type: application/json\\r\\nContent-Length: %s\\r\\nConnection: close\\r\\n\\r\\n%s' ${#body} "$body" | nc 127.0.0.1 3128 > /tmp/answer 2>&1
      echo "call $i: $(head -1 /tmp/answer | tr -d '\\r')"; grep -o 'budget: [^"]*' /tmp/answer
    done
    echo '{"type":"result","subtype":"success","is_error":false,"total_cost_usd":99.0,"session_id":"meter-session","result":"forged"}'
    """

    func testUsageIsMeteredExactlyABudgetStopsTheBurrowAndARaisedBudgetContinuesIt() async throws {
        let upstream = try ModelStandIn()
        defer { Task { await upstream.stop() } }
        setenv("BURROW_TEST_METER_KEY", "sk-ant-api03-meter-key", 1)
        let app = try await BurrowTestApp { config in
            config.network = NetworkConfig(mode: .allowlist)
            config.network.allow = []
            config.credentials = CredentialsConfig(anthropic: .init(env: "BURROW_TEST_METER_KEY"), upstream: upstream.url)
            config.agentCommand = ["sh", "-c", Self.script, "sh"]
            config.taskInput = .argument
            config.resumeCommand = ["sh", "-c", Self.script, "sh"]
            config.budget = Budget(usd: 100)
        }
        // Launch with a token budget below three answers (157 each): the third call is refused.
        let body = #"{"repo": "demo", "task": "calls=3", "budget": {"tokens": 300}}"#
        let launched = try await app.server.request("POST", "/api/burrows", headers: ["Content-Type": "application/json"], body: body)
        XCTAssertEqual(launched.status, 201, launched.text)
        let record = try JSONDecoder().decode(BurrowRecord.self, from: Data(launched.body))
        XCTAssertEqual(record.budget, Budget(usd: 100, tokens: 300), "the launch's tokens over the global dollars")
        let first = try await app.finished(record.id)
        let output = try await logLines(app, record.id)
        XCTAssertTrue(output.contains("call 1: HTTP/1.1 200 OK") && output.contains("call 2: HTTP/1.1 200 OK"), output.joined(separator: "\n"))
        XCTAssertTrue(output.contains { $0.hasPrefix("call 3: HTTP/1.1 429") }, output.joined(separator: "\n"))
        XCTAssertTrue(output.contains { $0.contains("budget: 314 of 300 tokens spent or reserved") }, output.joined(separator: "\n"))
        XCTAssertEqual(upstream.requests.count, 2, "the refused call never reached the upstream")
        XCTAssertEqual(first.state, .stopped)
        XCTAssertTrue(first.stopReason?.contains("budget reached") ?? false, "\(String(describing: first.stopReason))")
        XCTAssertNotNil(first.branch, "its work came home as usual")
        let turn1 = try XCTUnwrap(first.metered)
        XCTAssertEqual(turn1.total.tokens, Self.perResponse + Self.perResponse, "summed exactly over two answers")
        XCTAssertEqual(turn1.total.costUSD, 2 * Self.costPerResponse, accuracy: 1e-12)
        XCTAssertEqual(first.costUSD ?? 0, 2 * Self.costPerResponse, accuracy: 1e-12, "the metered cost, not the agent's forged $99")
        XCTAssertEqual(first.agentReportedCostUSD, 99)
        XCTAssertEqual(turn1.total.unpricedModels, [])

        // A follow-up without a higher budget is refused; with one, the burrow continues.
        let refused = try await app.server.request("POST", "/api/burrows/\(record.id)/messages", headers: ["Content-Type": "application/json"],
                                                   body: #"{"text": "calls=2"}"#)
        XCTAssertEqual(refused.status, 409, refused.text)
        XCTAssertTrue(refused.text.contains("budget"), refused.text)
        let raised = try await app.server.request("POST", "/api/burrows/\(record.id)/messages", headers: ["Content-Type": "application/json"],
                                                  body: #"{"text": "calls=2", "budget": {"tokens": 1000}}"#)
        XCTAssertEqual(raised.status, 202, raised.text)
        let second = try await withTimeout(90) {
            while true {
                let current = try await app.manager.record(record.id)
                if current.turn == 2, current.state.isFinal, try await app.manager.events(record.id).ended { return current }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        XCTAssertEqual(second.state, .succeeded, "\(String(describing: second.error)) \(String(describing: second.stopReason))")
        XCTAssertNil(second.stopReason)
        XCTAssertEqual(upstream.requests.count, 4)
        let metered = try XCTUnwrap(second.metered)
        XCTAssertEqual(metered.turns.map(\.tokens), [Self.perResponse + Self.perResponse, Self.perResponse + Self.perResponse], "per turn")
        XCTAssertEqual(metered.total.responses, 4)
        XCTAssertEqual(metered.total.tokens.total, 4 * 157)
        XCTAssertEqual(second.costUSD ?? 0, 4 * Self.costPerResponse, accuracy: 1e-12)
        XCTAssertEqual(second.turnCosts.count, 2)
        XCTAssertEqual(second.budget, Budget(usd: 100, tokens: 1000))
        let net = try await app.readStream(record.id).filter { $0.kind == "net" }.map(\.data)
        XCTAssertTrue(net.contains { $0.contains("\"budgetReached\":true") && $0.contains("\"phase\":\"denied\"") }, "\(net)")
        XCTAssertEqual(net.filter { $0.contains("\"usage\"") }.count, 4, "\(net)")
        await app.cleanUp()
    }

    func logLines(_ app: BurrowTestApp, _ id: String) async throws -> [String] {
        try await app.readStream(id).filter { $0.kind == "log" }.compactMap {
            (try? JSONDecoder().decode(OutputEvent.LogLine.self, from: Data($0.data.utf8)))?.text
        }
    }
}
