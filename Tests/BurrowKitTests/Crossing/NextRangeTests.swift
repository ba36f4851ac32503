@testable import BurrowSystem
@testable import BurrowPodman
@testable import BurrowKit
import Foundation
import XCTest

/// Burrows in their own id ranges (the default): a repo's template is owned by a range, so Burrow
/// makes the range a repo's next burrow will get ready in the background, and that burrow starts
/// over the template even while the first keeps its range.
final class NextRangeTests: XCTestCase {
    func testASecondBurrowWhileTheFirstIsKeptStartsOverATemplateReadyForItsRange() async throws {
        // More ranges than the default 8: other tests on this Podman hold some.
        let attack = try await AttackBurrow.make(self) { $0.sandbox.idRanges = 24 }
        let first = try await attack.run("cd /workspace && echo one > ONE.txt")
        XCTAssertEqual(first.state, .succeeded, first.error ?? "")
        let firstRange = try XCTUnwrap(first.ids?.index, "the first burrow has its own range")
        await attack.app.manager.settleRangePreparations()
        let owners = try await attack.templateOwners()
        XCTAssertEqual(owners.count, 2, "the first burrow's range has the template, and the next range was made ready: \(owners)")
        XCTAssertTrue(owners.contains(attack.owner(first, range: firstRange)), "\(owners)")

        // The first burrow keeps its workspace, and so its range.
        let second = try await attack.run("cd /workspace && echo \"status:[$(git status --porcelain)]\" && echo two > TWO.txt")
        XCTAssertEqual(second.state, .succeeded, second.error ?? "")
        let secondRange = try XCTUnwrap(second.ids?.index)
        XCTAssertNotEqual(secondRange, firstRange)
        XCTAssertTrue(owners.contains(attack.owner(second, range: secondRange)), "the second takes the range made ready: \(owners)")
        let volume = try await attack.app.manager.podman.inspectVolume(second.workspaceVolume)
        XCTAssertEqual(volume.driver, "image", "the second workspace is a volume over the template, not filled")
        let events = String(decoding: try FileSystem.readFile(attack.app.stateDir + "/burrows/\(second.id)/events.ndjson"), as: UTF8.self)
        XCTAssertTrue(events.contains("status:[]"), "git finds the workspace clean: \(events.suffix(1500))")
        let files = try await attack.branchFiles(second)
        XCTAssertTrue(files.contains("TWO.txt") && !files.contains("ONE.txt"), files)

        await attack.app.manager.settleRangePreparations()
        let after = try await attack.templateOwners()
        XCTAssertEqual(after.count, 4, "two ranges made ready in turn: the repo's burrows took two in the last 10 minutes: \(after)")
    }

    func testNothingIsPreparedWhenTheConfigSaysNo() async throws {
        let attack = try await AttackBurrow.make(self) { $0.sandbox.prepareNextRange = false }
        let first = try await attack.run("true")
        XCTAssertEqual(first.state, .succeeded, first.error ?? "")
        let range = try XCTUnwrap(first.ids?.index)
        await attack.app.manager.settleRangePreparations()
        await attack.app.manager.crossing.templates.settle()
        let owners = try await attack.templateOwners()
        XCTAssertEqual(owners, [attack.owner(first, range: range)], "only the first burrow's own template")
    }
}
