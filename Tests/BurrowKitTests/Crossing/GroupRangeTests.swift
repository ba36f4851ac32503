@testable import BurrowSystem
@testable import BurrowPodman
@testable import BurrowKit
import Foundation
import XCTest

/// Many launches at once stay cheap (issue 26, item 3): a group's attempts share one id range, so on
/// a repo with a range ready they all start over its template (none fills its workspace from the
/// store) and their disk is one template plus their own layers.
final class GroupRangeTests: XCTestCase {
    func testAGroupOfFourOnAPreparedRepoSharesTheReadyRangeAndNoneFills() async throws {
        // More ranges than the default 8: other tests on this Podman hold some.
        let attack = try await AttackBurrow.make(self) { $0.sandbox.idRanges = 24 }
        let first = try await attack.run("true")
        XCTAssertEqual(first.state, .succeeded, first.error ?? "")
        await attack.app.manager.settleRangePreparations()
        let owners = try await attack.templateOwners()
        // (Another Burrow on this Podman may take a range made ready meanwhile: then one more is made.)
        XCTAssertGreaterThanOrEqual(owners.count, 2, "the first burrow's range and a range made ready: \(owners)")

        // Each attempt lists the workspace before writing its own file: no sibling's file is ever there.
        let script = "cd /workspace && ls > seen.txt && cat /proc/sys/kernel/random/uuid > mine.txt"
        let group = try await attack.app.manager.launchGroup(.init(repo: "demo", task: script), attempts: Array(repeating: AttemptRequest(), count: 4))
        var attempts: [BurrowRecord] = []
        for attempt in group.attempts { attempts.append(try await attack.app.finished(attempt.id, within: 180)) }
        XCTAssertEqual(attempts.count, 4)
        XCTAssertTrue(attempts.allSatisfy { $0.state == .succeeded }, attempts.map { "\($0.state) \($0.error ?? "")" }.joined(separator: "; "))
        let ranges = Set(attempts.compactMap { $0.ids?.index })
        XCTAssertEqual(ranges.count, 1, "the attempts share one range: \(attempts.map { $0.ids?.index as Any })")
        let shared = try XCTUnwrap(ranges.first)
        XCTAssertNotEqual(shared, first.ids?.index, "not the kept first burrow's range")
        XCTAssertTrue(owners.contains(attack.owner(attempts[0], range: shared)), "the range made ready before the group: \(owners)")
        for attempt in attempts {
            let volume = try await attack.app.manager.podman.inspectVolume(attempt.workspaceVolume)
            XCTAssertEqual(volume.driver, "image", "\(attempt.id)'s workspace is a layer over the template, not filled")
            let seen = try await Subprocess.check(["git", "-C", attack.app.repoPath, "show", "burrow/\(attempt.id):seen.txt"]).stdout
            XCTAssertFalse(seen.contains("mine.txt"), "no sibling's change is visible: \(seen)")
        }
        let mine = try await attempts.asyncMap { try await Subprocess.check(["git", "-C", attack.app.repoPath, "show", "burrow/\($0.id):mine.txt"]).stdout }
        XCTAssertEqual(Set(mine).count, 4, "each attempt brought its own file home: \(mine)")
    }

    /// The range a repo's preparation makes ready next: free, not ready yet, until `target` are ready.
    func testTheRangesToPrepareFollowTheTarget() {
        let ranges = BurrowIDRanges(size: 2048, namespace: [.init(container: 0, host: 100_000, size: 65536)], limit: 8)
        let held = [IDSlot(index: 1, size: 2048), IDSlot(index: 2, size: 2048)]
        XCTAssertEqual(ranges.toPrepare(target: 1, held: held, prepared: [])?.index, 3)
        XCTAssertNil(ranges.toPrepare(target: 1, held: held, prepared: [3]), "one free range is ready: enough")
        XCTAssertEqual(ranges.toPrepare(target: 2, held: held, prepared: [3])?.index, 4, "a second one for a demand of two")
        XCTAssertEqual(ranges.toPrepare(target: 1, held: held, prepared: [1, 2])?.index, 3, "a held range that is ready is not free")
        XCTAssertEqual(ranges.toPrepare(target: 1, held: held, prepared: [], preparedForOthers: [3, 4])?.index, 5, "not one another repo keeps ready")
        let full = (1...8).map { IDSlot(index: $0, size: 2048) }
        XCTAssertNil(ranges.toPrepare(target: 2, held: full, prepared: []), "no free range left")
    }

    func testReadyRangesDefaultsToTwoAndRefusesLessThanOne() throws {
        XCTAssertEqual(try ConfigLoader.parse(Array("{}".utf8)).sandbox.resolvedReadyRanges, 2)
        XCTAssertEqual(try ConfigLoader.parse(Array(#"{"sandbox": {"readyRanges": 4}}"#.utf8)).sandbox.resolvedReadyRanges, 4)
        XCTAssertThrowsError(try ConfigLoader.parse(Array(#"{"sandbox": {"readyRanges": 0}}"#.utf8))) { error in
            XCTAssertTrue("\(error)".contains("sandbox.readyRanges"), "\(error)")
        }
    }

    /// Background work waits while a burrow starts or comes home, and for the quiet after it.
    func testTheForegroundGateWaitsForQuiet() async throws {
        let gate = ForegroundGate()
        gate.set(busy: true)
        let waiter = Task { try await gate.waitUntilQuiet(for: .milliseconds(50)); return Monotonic.now() }
        try await Task.sleep(for: .milliseconds(300))
        let released = Monotonic.now()
        gate.set(busy: false)
        let passed = try await waiter.value
        XCTAssertGreaterThan(passed, released, "it waited for the foreground to end")
        try await gate.waitUntilQuiet(for: .milliseconds(1))
    }
}

extension Array {
    fileprivate func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
