@testable import BurrowKit
import XCTest

/// What a burrow's record keeps of its asks (`AskMemory`), event by event.
final class AskMemoryTests: XCTestCase {
    func ask(_ id: String, _ path: String, scope: String = "request", decision: String? = nil) -> Ask {
        var ask = Ask(id: id, host: "Rules.Test", port: 8080, method: "POST", path: path, seconds: 30, expiresAt: 0)
        ask.scope = scope
        ask.decision = decision
        return ask
    }

    func testOpenAsksWaitAndAnswersKeepOnlyWhatTheyAllowed() async {
        var memory = AskMemory()
        memory.note(ask("a1", "/x?page=2"))
        memory.note(ask("a1", "/x?page=2"))
        memory.note(ask("a2", "/y", scope: "host"))
        memory.note(ask("a3", "/z"))
        XCTAssertEqual(memory.waiting.map(\.id), ["a1", "a2", "a3"], "an ask waits once")
        memory.note(ask("a1", "/x?page=2", decision: "burrow"))
        memory.note(ask("a2", "/y", scope: "host", decision: "repo"))
        memory.note(ask("a3", "/z", decision: "deny"))
        XCTAssertEqual(memory.waiting, [])
        XCTAssertEqual(memory.requests, ["POST rules.test:8080 /x"], "the method and path, without the query, as the desk keys it")
        XCTAssertEqual(memory.hosts, ["rules.test:8080"])
        let desk = AskDesk(settings: AskSettings(unlisted: .ask, seconds: 30), remembering: memory)
        let outcome = await desk.askRequest(host: "rules.test", port: 8080, method: "POST", path: "/x?other=1")
        XCTAssertEqual(outcome, .allowed(.burrow), "a desk made again honours it without asking")
        let host = await desk.ask(host: "RULES.test", port: 8080, method: "CONNECT", path: nil)
        XCTAssertEqual(host, .allowed(.burrow))
        await desk.end("test over")
    }

    func testAtMostAsManyAsMayWaitAreKept() {
        var memory = AskMemory()
        for index in 0..<(AskSettings.maxPending + 5) { memory.note(ask("a\(index)", "/\(index)")) }
        XCTAssertEqual(memory.waiting.count, AskSettings.maxPending)
    }
}
