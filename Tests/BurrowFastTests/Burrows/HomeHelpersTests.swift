@testable import BurrowSystem
@testable import BurrowKit
import XCTest

/// The way-home helpers' starts (`HomeHelpers`): bounded in number, one per turn, called off when
/// the turn ends before a start began, awaited when it began.
final class HomeHelpersTests: XCTestCase {
    func testAtMostTheLimitStartAndATakenTurnFreesItsPlace() async {
        let helpers = HomeHelpers<[String]>(limit: 2)
        let started = Locked<[String]>([])
        for id in ["a", "b", "c", "a"] { helpers.prepare(id) { started.withLock { $0.append(id) }; return [id] } }
        XCTAssertTrue(helpers.isFull(for: "c"))
        let a = await helpers.take("a"), c = await helpers.take("c")
        XCTAssertEqual(a, ["a"])
        XCTAssertNil(c, "past the limit nothing was started for c")
        XCTAssertFalse(helpers.isFull(for: "c"), "a taken turn gives its place back")
        helpers.prepare("c") { started.withLock { $0.append("c") }; return ["c"] }
        let cAgain = await helpers.take("c"), b = await helpers.take("b")
        XCTAssertEqual(cAgain, ["c"])
        XCTAssertEqual(b, ["b"])
        XCTAssertEqual(started.withLock { $0 }.sorted(), ["a", "b", "c"], "one start per turn, none past the limit")
    }

    func testATurnThatEndsWhileLaunchesAreStartingCallsItsHelperOff() async {
        let helpers = HomeHelpers<[String]>()
        let launching = ForegroundGate()
        launching.set(busy: true)
        let ran = Locked(false)
        helpers.prepare("a") {
            do { try await launching.waitUntilIdle() } catch { return nil }
            ran.withLock { $0 = true }
            return ["a"]
        }
        let taken = await helpers.take("a")
        XCTAssertNil(taken)
        XCTAssertFalse(ran.withLock { $0 }, "the start never began")
    }

    func testAStartWaitsForTheLaunchesThenRuns() async throws {
        let helpers = HomeHelpers<[String]>()
        let launching = ForegroundGate()
        launching.set(busy: true)
        let ran = Wakeup()
        helpers.prepare("a") {
            do { try await launching.waitUntilIdle() } catch { return nil }
            ran.wake()
            return ["a"]
        }
        let seen = ran.generation
        launching.set(busy: false)
        try await ran.wait(past: seen)
        let taken = await helpers.take("a")
        XCTAssertEqual(taken, ["a"])
    }
}
