@testable import BurrowKit
@testable import BurrowSystem
import Foundation
import XCTest

/// The desk where requests to unlisted hosts wait: every waiter resumed exactly once, whatever ends it.
final class AskDeskTests: XCTestCase {
    func desk(seconds: Int = 30) -> AskDesk { AskDesk(settings: AskSettings(unlisted: .ask, seconds: seconds)) }

    /// Waits until the desk lists `count` asks (the waiters have arrived).
    func waitForAsks(_ desk: AskDesk, _ count: Int) async throws {
        try await withTimeout(5) { while await desk.asks.count != count { try await Task.sleep(for: .milliseconds(5)) } }
    }

    func testAnAnswerResumesEveryCoalescedWaiterOnceAndAllowsTheBurrowAfterwards() async throws {
        let desk = desk()
        async let first = desk.ask(host: "Example.test", port: 443, method: "CONNECT", path: nil)
        async let second = desk.ask(host: "example.test", port: 443, method: "CONNECT", path: nil)
        try await waitForAsks(desk, 1)
        let listed = await desk.asks
        let id = try XCTUnwrap(listed.first?.id)
        XCTAssertEqual(listed.first?.secondsLeft, 30)
        let answered = await desk.answer(id, .burrow)
        XCTAssertNotNil(answered)
        let outcomes = await [first, second]
        XCTAssertEqual(outcomes, [.allowed(.burrow), .allowed(.burrow)])
        let twice = await desk.answer(id, .deny)
        XCTAssertNil(twice, "answered already")
        let again = await desk.ask(host: "example.test", port: 443, method: "GET", path: "/")
        XCTAssertEqual(again, .allowed(.burrow))
        let left = await desk.asks
        XCTAssertTrue(left.isEmpty, "no second ask for a host the burrow may reach")
        let other = Task { await desk.ask(host: "example.test", port: 8443, method: "CONNECT", path: nil) }
        try await waitForAsks(desk, 1)
        await desk.close("turn ended")
        guard case .denied("policy", "turn ended") = await other.value else { return XCTFail("another port asks again") }
    }

    /// A request's key keeps the first 2,048 characters of its path: "for this burrow" on a longer
    /// one would have allowed every path starting with them.
    func testAllowingALongPathForTheBurrowAllowsItOnceNotItsPrefix() async throws {
        let desk = desk()
        let long = "/" + String(repeating: "a", count: 2100)
        async let held = desk.askRequest(host: "api.test", port: 443, method: "POST", path: long)
        try await waitForAsks(desk, 1)
        let listed = await desk.asks
        let id = try XCTUnwrap(listed.first?.id)
        await desk.answer(id, .burrow)
        let outcome = await held
        XCTAssertEqual(outcome, .allowed(.once), "what the person saw passes, once")
        let keys = await desk.allowedRequestKeys
        XCTAssertTrue(keys.isEmpty, "nothing kept: \(keys.map { $0.prefix(40) })")
        let other = Task { await desk.askRequest(host: "api.test", port: 443, method: "POST", path: long + "/other") }
        try await waitForAsks(desk, 1)
        await desk.close("done")
        guard case .denied = await other.value else { return XCTFail("a path sharing the first 2,048 characters asks again") }
    }

    func testNoAnswerDeniesAfterTheDeadlineSayingHowToAllowIt() async throws {
        let desk = desk(seconds: 1)
        let started = Date()
        let outcome = await desk.ask(host: "slow.test", port: 80, method: "GET", path: "/x")
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(started), 0.9)
        guard case .denied("timeout", let reason) = outcome else { return XCTFail("\(outcome)") }
        XCTAssertTrue(reason.contains("no one answered in 1 s") && reason.contains("\"slow.test:80\"") && reason.contains("network.allow"), reason)
    }

    func testPendingAsksAreCappedAndACancelledWaiterLeaves() async throws {
        let desk = desk()
        var waiters: [Task<AskOutcome, Never>] = []
        for index in 0..<AskSettings.maxPending {
            waiters.append(Task { await desk.ask(host: "h\(index).test", port: 443, method: "CONNECT", path: nil) })
        }
        try await waitForAsks(desk, AskSettings.maxPending)
        guard case .denied("policy", let reason) = await desk.ask(host: "one-more.test", port: 443, method: "CONNECT", path: nil) else {
            return XCTFail("beyond the cap: denied at once")
        }
        XCTAssertTrue(reason.contains("already wait"), reason)
        waiters[0].cancel()
        guard case .denied = await waiters[0].value else { return XCTFail("a cancelled waiter is denied") }
        try await waitForAsks(desk, AskSettings.maxPending - 1)
        await desk.end("torn down")
        for waiter in waiters.dropFirst() {
            guard case .denied("policy", "torn down") = await waiter.value else { return XCTFail("every pending ask denied at teardown") }
        }
        guard case .denied("policy", "torn down") = await desk.ask(host: "late.test", port: 443, method: "CONNECT", path: nil) else {
            return XCTFail("no ask after the end")
        }
        var decisions: [String] = []
        for await event in desk.events { if let decision = event.decision { decisions.append(decision) } }
        XCTAssertEqual(decisions.filter { $0 == "closed" }.count, AskSettings.maxPending - 1)
        XCTAssertEqual(decisions.filter { $0 == "gone" }.count, 1)
    }

    func testAskSecondsOutsideItsBoundsStopsStartUpNamingTheField() throws {
        for (text, field) in [(#"{"network": {"askSeconds": 0}}"#, "network.askSeconds"),
                              (#"{"network": {"askSeconds": 301}}"#, "network.askSeconds"),
                              (#"{"repos": [{"name": "r", "path": "/tmp", "askSeconds": -5}]}"#, "repos[0].askSeconds")] {
            let config = try JSONDecoder().decode(Config.self, from: Data(text.utf8))
            XCTAssertThrowsError(try config.validate(), text) { error in
                XCTAssertEqual((error as? ConfigError)?.field, field, "\(error)")
            }
        }
        XCTAssertThrowsError(try JSONDecoder().decode(Config.self, from: Data(#"{"network": {"unlisted": "maybe"}}"#.utf8)))
        let config = try JSONDecoder().decode(Config.self, from: Data(#"{"network": {"unlisted": "ask", "askSeconds": 5}, "repos": [{"name": "r", "path": "/tmp", "unlisted": "deny"}]}"#.utf8))
        XCTAssertNoThrow(try config.validate())
        XCTAssertEqual(config.askSettings(repo: nil), AskSettings(unlisted: .ask, seconds: 5))
        XCTAssertEqual(config.askSettings(repo: config.repos[0]), AskSettings(unlisted: .deny, seconds: 5))
        XCTAssertEqual(Config().network.unlisted, .deny, "today's behaviour stays the default")
    }
}
