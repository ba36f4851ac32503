@testable import BurrowSystem
@testable import BurrowKit
import XCTest

/// Two kept burrows can hold one id range (every range held: `sandbox.idRanges` 1). Follow-ups sent
/// to both at once start two turns that each wait for the other to leave the range: before, each
/// waited for any run in it, the other's still-claiming run included, and neither ever started.
final class SharedRangeTurnsTests: XCTestCase {
    func testTwoTurnsInOneRangeStartedAtOnceRunOneAfterTheOther() async throws {
        let attack = try await AttackBurrow.make(self) { config in
            config.sandbox.idRanges = 1
            config.resumeCommand = ["sh", "-c"]
        }
        let app = attack.app
        let first = try await attack.run(TurnChangesTests.session + "echo one > /workspace/one.txt")
        let second = try await attack.run(TurnChangesTests.session + "echo two > /workspace/two.txt")
        XCTAssertEqual(first.state, .succeeded, first.error ?? "")
        XCTAssertEqual(second.state, .succeeded, second.error ?? "")
        let ranges = (first.ids, second.ids)
        XCTAssertNotNil(ranges.0)
        XCTAssertEqual(ranges.0, ranges.1, "the probe: both burrows hold the one range")

        async let a = app.manager.sendMessage(first.id, text: TurnChangesTests.session + "sleep 1; echo again > /workspace/again.txt")
        async let b = app.manager.sendMessage(second.id, text: TurnChangesTests.session + "sleep 1; echo again > /workspace/again.txt")
        _ = try await (a, b)
        for id in [first.id, second.id] {
            let done = try await withTimeout(90) {
                while true {
                    let record = try await app.record(id)
                    if record.turn == 2, record.state.isFinal, try await app.manager.events(id).ended { return record }
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            XCTAssertEqual(done.state, .succeeded, done.error ?? "")
        }
    }
}
