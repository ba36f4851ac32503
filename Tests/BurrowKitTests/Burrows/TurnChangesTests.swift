@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import Foundation
import XCTest

/// Each turn's own diff and the result's count of changed files, over the API, for a burrow with a
/// follow-up (the agent and its resumed turn are `sh -c` scripts).
final class TurnChangesTests: XCTestCase {
    static let session = #"echo '{"type":"system","subtype":"init","session_id":"s-turns"}'; "#

    func testEachTurnHasItsOwnDiffAndTheResultIsCounted() async throws {
        let attack = try await AttackBurrow.make(self) { $0.resumeCommand = ["sh", "-c"] }
        let app = attack.app
        let launched = try await attack.run(Self.session + "echo one > /workspace/one.txt")
        XCTAssertEqual(launched.state, .succeeded, launched.error ?? "")
        XCTAssertEqual(launched.changes?.live, false)
        XCTAssertEqual(launched.changes?.totalFiles, 1)
        XCTAssertEqual(launched.baseBranch, "main")
        _ = try await app.manager.sendMessage(launched.id, text: Self.session + "echo two > /workspace/two.txt")
        let second = try await withTimeout(120) {
            while true {
                let record = try await app.record(launched.id)
                if record.turn == 2, record.state.isFinal, try await app.manager.events(launched.id).ended { return record }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        XCTAssertEqual(second.state, .succeeded, second.error ?? "")
        let first = try await app.server.request("GET", "/api/burrows/\(launched.id)/turns/1/diff")
        XCTAssertEqual(first.status, 200)
        XCTAssertTrue(first.text.contains("one.txt") && !first.text.contains("two.txt"), first.text)
        let own = try await app.server.request("GET", "/api/burrows/\(launched.id)/turns/2/diff?download=1")
        XCTAssertEqual(own.status, 200)
        XCTAssertTrue(own.text.contains("two.txt") && !own.text.contains("one.txt"), own.text)
        XCTAssertTrue(own.headers["content-disposition"]?.contains("turn-2.patch") ?? false, "\(own.headers)")
        let whole = try await app.server.request("GET", "/api/burrows/\(launched.id)/diff")
        XCTAssertTrue(whole.text.contains("one.txt") && whole.text.contains("two.txt"))
        let changes = try await app.server.request("GET", "/api/burrows/\(launched.id)/changes")
        let counted = try JSONDecoder().decode(WorkspaceChanges.self, from: Data(changes.body))
        XCTAssertEqual(counted.files.map(\.path).sorted(), ["one.txt", "two.txt"])
        XCTAssertEqual([counted.turn, counted.added, counted.removed], [2, 2, 0])
        XCTAssertFalse(counted.live)
        let missing = try await app.server.request("GET", "/api/burrows/\(launched.id)/turns/3/diff")
        XCTAssertEqual(missing.status, 404)
        let notANumber = try await app.server.request("GET", "/api/burrows/\(launched.id)/turns/x/diff")
        XCTAssertEqual(notANumber.status, 400)
        let unknown = try await app.server.request("GET", "/api/burrows/nope/changes")
        XCTAssertEqual(unknown.status, 404)
    }
}
