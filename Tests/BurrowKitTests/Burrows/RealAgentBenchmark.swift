@testable import BurrowKit
@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman
import Foundation
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// benchmarks/real-agent.sh: the real Claude Code in a burrow, a 3-tool task (Write, Edit, Bash)
/// against the stand-in API. Skipped unless BURROW_BENCH_REAL_AGENT=N (the number of runs): never a
/// timed test in CI. Prints one `real-agent:` line per measure, medians of N, in milliseconds.
final class RealAgentBenchmark: XCTestCase {
    static let script: ScriptedMessagesAPI.Script = ScriptedMessagesAPI.steps([
        [.toolUse(id: "toolu_b_write", name: "Write", input: RealAgentTests.input(["file_path": "/workspace/bench.txt", "content": "one\ntwo\n"]))],
        [.toolUse(id: "toolu_b_edit", name: "Edit", input: RealAgentTests.input(["file_path": "/workspace/bench.txt", "old_string": "two", "new_string": "three"]))],
        [.toolUse(id: "toolu_b_bash", name: "Bash", input: RealAgentTests.input(["command": "cat /workspace/bench.txt", "description": "Show it"]))],
    ], final: { _ in "bench done" })

    struct Run { var containerStarted: Double; var initEvent: Double; var firstAssistant: Double; var total: Double; var apiFirst: Double; var apiTotal: Double; var requests: Int }

    func testRealAgentLatency() async throws {
        guard let runs = ProcessInfo.processInfo.environment["BURROW_BENCH_REAL_AGENT"].flatMap(Int.init), runs > 0 else {
            throw XCTSkip("a benchmark: BURROW_BENCH_REAL_AGENT=N benchmarks/real-agent.sh")
        }
        var results: [Run] = []
        for _ in 0..<runs {
            let api = try ScriptedMessagesAPI(script: Self.script)
            try await RealAgentEnvironment.with(api: api, credential: RealAgentTests.apiKey) { app in
                results.append(try await measure(app, api: api))
            }
        }
        func median(_ values: [Double]) -> Double {
            let sorted = values.sorted()
            return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        }
        func ms(_ value: Double) -> String { String(format: "%.0f", value * 1000) }
        let first = results.map(\.firstAssistant), total = results.map(\.total)
        print("real-agent: runs \(runs)")
        print("real-agent: POST to container started (record.startedAt) \(ms(median(results.map(\.containerStarted))))")
        let boot = results.map(\.initEvent)
        print("real-agent: system/init event (container + CLI start) \(ms(median(boot))) (min \(ms(boot.min()!)), max \(ms(boot.max()!)))")
        print("real-agent: init to first assistant event \(ms(median(results.map { $0.firstAssistant - $0.initEvent })))")
        print("real-agent: first assistant event \(ms(median(first))) (min \(ms(first.min()!)), max \(ms(first.max()!)))")
        print("real-agent: first assistant minus the stand-in's time \(ms(median(results.map { $0.firstAssistant - $0.apiFirst })))")
        print("real-agent: total to end event \(ms(median(total))) (min \(ms(total.min()!)), max \(ms(total.max()!)))")
        print("real-agent: total minus the stand-in's time \(ms(median(results.map { $0.total - $0.apiTotal })))")
        print("real-agent: stand-in time per run \(ms(median(results.map(\.apiTotal)))) over \(results.map(\.requests).max()!) requests")
    }

    /// POST → the SSE stream's first `assistant` agent event and its `end`, timed as they arrive.
    func measure(_ app: BurrowTestApp, api: ScriptedMessagesAPI) async throws -> Run {
        let clock = ContinuousClock()
        let started = clock.now
        let record = try await app.launch("Write bench.txt, edit it, show it.")
        let client = try await app.server.client()
        defer { client.close() }
        try await client.send("GET /api/burrows/\(record.id)/events HTTP/1.1\r\nHost: \(app.server.host)\r\nAuthorization: Bearer \(app.server.token)\r\n\r\n")
        _ = try await client.streamHead()
        let (initEvent, firstAssistant, end) = try await withTimeout(180) { () async throws -> (Duration?, Duration?, Duration?) in
            var initEvent: Duration?
            var firstAssistant: Duration?
            var pending: [UInt8] = []
            while true {
                let bytes = try await client.readSome()
                if bytes.isEmpty { return (initEvent, firstAssistant, nil) }
                pending += bytes
                let text = String(decoding: pending, as: UTF8.self)
                if initEvent == nil, text.contains("\"subtype\":\"init\"") { initEvent = clock.now - started }
                if firstAssistant == nil, text.contains("event: agent\ndata: {") && text.contains("\"type\":\"assistant\"") {
                    firstAssistant = clock.now - started
                }
                if text.contains("event: end\n") { return (initEvent, firstAssistant, clock.now - started) }
            }
        }
        let done = try await app.finished(record.id, within: 180)
        XCTAssertEqual(done.state, .succeeded, done.error ?? "")
        func seconds(_ duration: Duration?) -> Double {
            guard let parts = duration?.components else { return .nan }
            return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
        }
        let agent = api.agentRequests
        return Run(containerStarted: (done.startedAt ?? .nan) - done.createdAt, initEvent: seconds(initEvent), firstAssistant: seconds(firstAssistant), total: seconds(end), apiFirst: agent.first?.seconds ?? 0,
                   apiTotal: api.ownSeconds, requests: api.requests.count)
    }
}
