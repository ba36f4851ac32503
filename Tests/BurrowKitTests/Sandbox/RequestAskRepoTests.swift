@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowKit
import Foundation
import XCTest
@testable import BurrowWeb

/// "Always for this repo" on a request `network.rules` refuse, from inside real burrows: the agent
/// (a shell script, the attacker) fetches a refused path; the person's answer on the page's API keeps
/// that method and path for the repo, so the repo's next burrow passes it without asking, while a
/// neighbouring path still asks.
final class RequestAskRepoTests: XCTestCase {
    typealias Page = RequestAskAttackTests

    func testAlwaysForThisRepoKeepsTheMethodAndPathForLaterBurrows() async throws {
        let site = try RecordingUpstream()
        defer { site.stop() }
        let host = "rules.ask.test:\(site.port)"
        let app = try await Page.app(host: host, askSeconds: 20)
        let first = try await app.launch(["/kept", "/kept?page=2", "/other"].map { RequestAskAttackTests.fetch(host, $0) }.joined(separator: "\n"))
        let kept = try await Page.pending(app, first.id, path: "/kept")
        XCTAssertEqual(kept.scope, "request")
        XCTAssertTrue(site.heads.withLock { $0.isEmpty }, "held: nothing reached the site before the answer")
        let forRepo = try await Page.answer(app, first.id, kept, "repo")
        XCTAssertEqual(forRepo.status, 200, forRepo.text)
        let other = try await Page.pending(app, first.id, path: "/other")
        let deniedOther = try await Page.answer(app, first.id, other, "deny")
        XCTAssertEqual(deniedOther.status, 200, deniedOther.text)
        let firstEvents = try await app.readStream(first.id)
        let firstOutput = AskAttackTests.output(firstEvents).joined(separator: "\n")
        XCTAssertTrue(firstOutput.contains("/kept exit=0") && firstOutput.contains("/kept?page=2 exit=0") && firstOutput.contains("/other exit=1"), firstOutput)
        let listed = try await app.server.request("GET", "/api/allowed")
        XCTAssertEqual(try JSONDecoder().decode([String: [String]].self, from: Data(listed.body)), ["demo": ["GET \(host) /kept"]], listed.text)
        XCTAssertEqual(app.manager.alwaysAllowed.targets(repo: "demo"), [], "the host is not kept as a whole")

        // The repo's next burrow: the kept request passes without asking; another path asks.
        let second = try await app.launch(["/kept", "/kept/more"].map { RequestAskAttackTests.fetch(host, $0) }.joined(separator: "\n"))
        let more = try await Page.pending(app, second.id, path: "/kept/more")
        let deniedMore = try await Page.answer(app, second.id, more, "deny")
        XCTAssertEqual(deniedMore.status, 200, deniedMore.text)
        let secondEvents = try await app.readStream(second.id)
        let secondOutput = AskAttackTests.output(secondEvents).joined(separator: "\n")
        XCTAssertTrue(secondOutput.contains("/kept exit=0") && secondOutput.contains("/kept/more exit=1"), secondOutput)
        let secondAsks = secondEvents.filter { $0.kind == "ask" }.compactMap { try? JSONDecoder().decode(Ask.self, from: Data($0.data.utf8)) }
        XCTAssertEqual(secondAsks.filter { $0.decision == nil }.compactMap(\.path), ["/kept/more"], "the kept request did not ask")
        XCTAssertEqual(site.heads.withLock { $0.map { "\($0.method) \($0.target)" } }, ["GET /kept", "GET /kept?page=2", "GET /kept"])

        let entry = "GET \(host) /kept".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let removed = try await app.server.request("DELETE", "/api/repos/demo/allowed?entry=\(entry)")
        XCTAssertEqual(removed.status, 204, removed.text)
        XCTAssertEqual(app.manager.alwaysAllowed.requests(repo: "demo"), [])
        let again = try await app.server.request("DELETE", "/api/repos/demo/allowed?entry=\(entry)")
        XCTAssertEqual(again.status, 404, again.text)
        await app.cleanUp()
    }
}

