@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import Foundation
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// The agent as the attacker of its budget and of Burrow's memory: many model requests at once.
/// The stand-in upstream charges a fixed large usage per answer ($0.30), slowly, so that requests
/// sent together are all in flight before the first is metered.
final class ParallelSpendTests: XCTestCase {
    /// 75,000 input tokens and 1 output token of claude-opus-5-5 ($4 / $20 per million).
    static let costPerAnswer = (75_000.0 * 4 + 20) / 1e6

    static func expensiveUpstream() throws -> ModelStandIn {
        try ModelStandIn { request in
            let answer = ModelStandIn.streamed(model: "claude-opus-5-5", usage: (75_000, 0, 0, 1), finalOutput: 1)
            guard case .stream(let produce) = answer.body else { return answer }
            return HTTPResponse(headers: answer.headers, body: .stream { writer in
                try await Task.sleep(for: .milliseconds(300))
                try await produce(writer)
            })
        }
    }

    func proxy(upstream: ModelStandIn, budget: BudgetGate, log: NetLog) throws -> EgressProxy {
        let endpoint = ModelEndpoint(upstream: URL(string: upstream.url)!, credential: Credential(value: "sk-ant-api03-spend"), budget: budget)
        let path = try TemporaryDirectory.make("spend") + "/proxy.sock"
        let proxy = try EgressProxy(socketPath: path, policy: EgressPolicy(allow: []), model: endpoint, allowPeer: { _ in true }, report: log.report)
        Task { await proxy.run() }
        return proxy
    }

    /// 20 requests at once under a $0.01 budget (and, apart, under a 1,000-token one): one goes
    /// upstream, the others get a 429 the agent can read; the spend is the budget plus one answer.
    func testTwentyRequestsAtOnceCannotSpendPastTheBudget() async throws {
        // One reservation fits, two do not: 400 output tokens ($0.008) plus ~110 input bytes at $5
        // per million; 600 + ~110 tokens.
        let cases: [(Budget, Int, String)] = [
            (Budget(usd: 0.01), 400, "of $0.01 spent or reserved"),
            (Budget(tokens: 1000), 600, "of 1000 tokens spent or reserved"),
        ]
        for (limit, maxTokens, message) in cases {
            let upstream = try Self.expensiveUpstream()
            let gate = BudgetGate(limit: limit)
            let log = NetLog()
            let proxy = try proxy(upstream: upstream, budget: gate, log: log)
            let body = #"{"model":"claude-opus-5-5","max_tokens":\#(maxTokens),"stream":true,"messages":[{"role":"user","content":"hi"}]}"#
            let path = proxy.socketPath
            let answers = try await withTimeout(30) {
                try await withThrowingTaskGroup(of: ProxyClient.Answer.self) { group in
                    for _ in 0..<20 { group.addTask { try await ProxyClient.exchange(path, ProxyClient.post("/v1/messages?beta=true", body: body)) } }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
            }
            let statuses = answers.map(\.status).sorted()
            XCTAssertEqual(upstream.requests.count, 1, "\(limit): one request went upstream (probe: the upstream was asked), not \(upstream.requests.count)")
            XCTAssertEqual(statuses.filter { $0 == 200 }.count, 1, "\(limit): \(statuses)")
            let refused = answers.filter { $0.status == 429 }
            XCTAssertEqual(refused.count, 19, "\(limit): \(statuses)")
            for answer in refused {
                XCTAssertTrue(answer.text.contains("budget: ") && answer.text.contains(message), answer.text)
                // While the one answer is in flight its reservation holds the room (worth a retry);
                // once it is metered the budget is spent (final: the agent stops).
                if answer.headers["x-should-retry"] == "true" {
                    XCTAssertTrue(answer.text.contains("retry when the requests in flight have ended"), answer.text)
                } else {
                    XCTAssertEqual(answer.headers["x-should-retry"], "false")
                    XCTAssertTrue(answer.text.contains("the burrow's budget is reached"), answer.text)
                }
            }
            _ = try await log.waitFor(20)
            let spent = gate.spent
            if let usd = limit.usd {
                let ratio = spent.costUSD / usd
                print("parallel budget: 20 requests at once, budget $\(usd): spent $\(spent.costUSD), spend ÷ budget = \(ratio)")
                XCTAssertEqual(spent.costUSD, Self.costPerAnswer, accuracy: 1e-9, "exactly one answer metered")
                XCTAssertLessThanOrEqual(spent.costUSD, usd + Self.costPerAnswer, "the budget plus at most one answer")
            } else {
                XCTAssertEqual(spent.tokens.total, 75_001, "exactly one answer metered")
            }
            proxy.shutdown()
            await upstream.stop()
        }
    }

    /// The upstream bills an answer whether or not the agent reads it: an agent that sends a request
    /// and leaves at once (before the answer's head) does not escape the meter. The answer is read
    /// and metered all the same (before: nothing was metered, and the reservation was released).
    func testAnAgentThatLeavesBeforeTheAnswerIsStillCharged() async throws {
        // The answer in two parts: its start (input tokens), then, a while later, its output tokens.
        let upstream = try ModelStandIn { _ in
            let answer = ModelStandIn.streamed(model: "claude-opus-5-5", usage: (75_000, 0, 0, 1), finalOutput: 10_000)
            guard case .stream(let produce) = answer.body else { return answer }
            return HTTPResponse(headers: answer.headers, body: .stream { writer in
                let first = #"{"type":"message_start","message":{"model":"claude-opus-5-5","usage":{"input_tokens":75000,"output_tokens":1}}}"#
                try await writer.write(Array("event: message_start\ndata: \(first)\n\n".utf8))
                try await Task.sleep(for: .milliseconds(500))
                // A piece the endpoint can no longer send (the agent left), then the output's usage.
                let delta = #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"more"}}"#
                try await writer.write(Array("event: content_block_delta\ndata: \(delta)\n\n".utf8))
                try await Task.sleep(for: .milliseconds(300))
                try await writer.write(Array(("event: message_delta\ndata: " + #"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":10000}}"#
                    + "\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n").utf8))
                _ = produce
            })
        }
        let gate = BudgetGate(limit: Budget(usd: 100))
        let log = NetLog()
        let proxy = try proxy(upstream: upstream, budget: gate, log: log)
        let body = #"{"model":"claude-opus-5-5","max_tokens":400,"stream":true,"messages":[{"role":"user","content":"hi"}]}"#
        let leaving = HTTPConnection(try await AsyncSocket.connect(to: .unix(proxy.socketPath)))
        try await leaving.write(Array(("POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(body.utf8.count)\r\n\r\n" + body).utf8))
        try await Task.sleep(for: .milliseconds(200))
        leaving.close()
        let events = try await log.waitFor(1)
        XCTAssertEqual(upstream.requests.count, 1, "the request went upstream (probe)")
        XCTAssertEqual(events.first?.usage?.inputTokens, 75_000, "the answer was metered: \(events)")
        XCTAssertEqual(events.first?.usage?.outputTokens, 10_000, "to its end, after the agent left: \(events)")
        XCTAssertEqual(gate.spent.costUSD, (75_000.0 * 4 + 10_000 * 20) / 1e6, accuracy: 1e-9, "and charged")
        XCTAssertEqual(gate.reserved, BudgetGate.Hold(usd: 0, tokens: 0))
        proxy.shutdown()
        await upstream.stop()
    }

    /// A request body the endpoint has no room for is refused before a byte of it is read: one
    /// 31 MiB body in flight, a second one gets a 429 saying so, and once the first ends the room
    /// is back.
    func testABodyBeyondTheInFlightBudgetIsRefusedBeforeItIsRead() async throws {
        let upstream = try ModelStandIn()
        let log = NetLog()
        let proxy = try proxy(upstream: upstream, budget: BudgetGate(limit: nil), log: log)
        let big = 31 << 20
        let head = "POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(big)\r\nConnection: close\r\n\r\n"
        // The first: its head and a little of its body; the rest is held back.
        let first = HTTPConnection(try await AsyncSocket.connect(to: .unix(proxy.socketPath)))
        try await first.write(Array(head.utf8) + Array(#"{"model":"claude-opus-5-5","messages":[],"pad":""#.utf8))
        try await Task.sleep(for: .milliseconds(300))
        // The second: only its head. Refused at once, without waiting for its 31 MiB.
        let second = try await withTimeout(5) { try await ProxyClient.exchange(proxy.socketPath, head) }
        XCTAssertEqual(second.status, 429, second.text)
        XCTAssertTrue(second.text.contains("model endpoint busy") && second.text.contains("31.0 MiB"), second.text)
        XCTAssertEqual(second.headers["x-should-retry"], "true")
        XCTAssertEqual(second.headers["retry-after"], "1")
        XCTAssertEqual(upstream.requests.count, 0)
        first.close()
        // The first's room is given back: a small request goes through (probe: the upstream is asked).
        try await Task.sleep(for: .milliseconds(300))
        let small = try await withTimeout(20) { try await ProxyClient.exchange(proxy.socketPath, ProxyClient.post("/v1/messages")) }
        XCTAssertEqual(small.status, 200, small.text)
        XCTAssertEqual(upstream.requests.count, 1)
        proxy.shutdown()
        await upstream.stop()
    }

    /// A reservation is released when the vault cannot reach the upstream, settled to what was
    /// metered when the answer breaks mid-way, and a request the endpoint cannot bound is refused.
    func testReservationsAreReleasedOrSettledAndUnboundedRequestsRefused() async throws {
        let breaking = try ModelStandIn { _ in
            var headers = HTTPHeaders()
            headers.add("Content-Type", "text/event-stream")
            return HTTPResponse(headers: headers, body: .stream { writer in
                let start = #"{"type":"message_start","message":{"model":"claude-opus-5-5","usage":{"input_tokens":1000,"output_tokens":1}}}"#
                try await writer.write(Array("event: message_start\ndata: \(start)\n\n".utf8))
                throw SocketClosed()
            })
        }
        let gate = BudgetGate(limit: Budget(usd: 100))
        let log = NetLog()
        let proxy = try proxy(upstream: breaking, budget: gate, log: log)
        let body = #"{"model":"claude-opus-5-5","max_tokens":100,"stream":true,"messages":[]}"#
        _ = try? await withTimeout(20) { try await ProxyClient.exchange(proxy.socketPath, ProxyClient.post("/v1/messages", body: body)) }
        _ = try await log.waitFor(1)
        XCTAssertEqual(breaking.requests.count, 1)
        // The upstream took the request and its answer broke: what it billed cannot be known, so the
        // budget is charged the reservation (the context window and max_tokens), not the 1,001 metered.
        XCTAssertEqual(gate.spent.tokens.total, 200_100, "a broken answer is charged at least its reservation")
        XCTAssertGreaterThan(gate.spent.costUSD, 1, "at Opus prices the reservation is over $1")
        XCTAssertEqual(gate.reserved, BudgetGate.Hold(usd: 0, tokens: 0), "and the reservation gave way to it")
        for (refused, why) in [(#"{"model":"claude-opus-5-5","messages":[]}"#, "max_tokens is required"),
                               (#"{"model":"gpt-9","max_tokens":1,"messages":[]}"#, "has no price"),
                               (#"{"max_tokens":1,"max_tokens":9999999,"model":"claude-opus-5-5"}"#, "given twice")] {
            let answer = try await withTimeout(20) { try await ProxyClient.exchange(proxy.socketPath, ProxyClient.post("/v1/messages", body: refused)) }
            XCTAssertEqual(answer.status, 400, answer.text)
            XCTAssertTrue(answer.text.contains(why), answer.text)
        }
        XCTAssertEqual(breaking.requests.count, 1, "nothing the endpoint cannot bound went upstream")
        proxy.shutdown()
        await breaking.stop()

        // Nothing listens upstream: a 502, and the reservation is given back.
        let gone = try ModelStandIn()
        let port = gone.port
        await gone.stop()
        let endpoint = ModelEndpoint(upstream: URL(string: "http://127.0.0.1:\(port)")!, credential: Credential(value: "sk-ant-api03-spend"), budget: gate)
        let path = try TemporaryDirectory.make("spend") + "/proxy.sock"
        let unreachable = try EgressProxy(socketPath: path, policy: EgressPolicy(allow: []), model: endpoint, allowPeer: { _ in true }, report: log.report)
        Task { await unreachable.run() }
        let failed = try await withTimeout(20) { try await ProxyClient.exchange(path, ProxyClient.post("/v1/messages", body: body)) }
        XCTAssertEqual(failed.status, 502, failed.text)
        XCTAssertEqual(gate.reserved, BudgetGate.Hold(usd: 0, tokens: 0))
        unreachable.shutdown()
    }
}
