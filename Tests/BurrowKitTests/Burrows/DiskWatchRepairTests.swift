@testable import BurrowSystem
@testable import BurrowPodman
@testable import BurrowKit
import XCTest

/// One volume whose folder is gone makes Podman 4.3's `system df` fail as a whole (HTTP 500, "lstat
/// …/_data: no such file or directory"); before, that left every burrow's `limits.disk` unenforced
/// without a word (two CI runs of the disk-budget tests failed so).
final class DiskWatchRepairTests: XCTestCase {
    func testTheVolumeNamedInAFailedListingIsFound() {
        let error = PodmanError.api(operation: "system df", status: 500, cause: "no such file or directory",
                                    message: "lstat /home/u/.local/share/containers/storage/volumes/burrow-35d30e5a5f28-workspace/_data: no such file or directory")
        XCTAssertEqual(DiskUsageReading.brokenVolume(in: error), "burrow-35d30e5a5f28-workspace")
        XCTAssertNil(DiskUsageReading.brokenVolume(in: .api(operation: "system df", status: 500, cause: "", message: "database is locked")))
        XCTAssertNil(DiskUsageReading.brokenVolume(in: .notAnswering(operation: "system df", waited: "5 s", since: nil)))
    }

    func testABrokenVolumeOfABurrowIsRemovedAndTheBudgetStillHolds() async throws {
        let name = "burrow-" + PodmanTestEnvironment.uniqueName("broken").suffix(10) + "-workspace"
        try await breakVolume(name, labels: [BurrowLabels.instance: "an-instance-long-gone"])
        let outcome = await Result { try await ResourceBoundsTests.writePastTheBudget(self, into: "/burrow/claude") }
        let podman = try await PodmanTestEnvironment.client()
        let left = try await podman.volumeExists(name)
        if left { try await podman.removeVolume(name) }  // it would break every later test's disk watch
        XCTAssertFalse(left, "the broken volume was removed by the disk watch")
        try outcome.get()
    }

    func testABrokenVolumeThatIsNotBurrowsIsNamedOnTheBurrowAndLeft() async throws {
        let name = PodmanTestEnvironment.uniqueName("someone-elses")
        try await breakVolume(name, labels: [:])
        let podman = try await PodmanTestEnvironment.client()
        let outcome = await Result { () async throws -> (AttackBurrow, BurrowRecord) in
            let attack = try await AttackBurrow.make(self) { $0.limits.disk = "50m" }
            attack.app.manager.diskWatch.interval.withLock { $0 = .milliseconds(300) }
            return (attack, try await attack.run("sleep 2; echo done-sleeping", within: 60))
        }
        try await podman.removeVolume(name)  // whatever happened: it breaks every test's disk watch
        let (attack, record) = try outcome.get()
        XCTAssertEqual(record.state, .succeeded, record.error ?? "")
        let text = try ResourceBoundsTests.events(attack, record.id)
        XCTAssertTrue(text.contains(#""text":"done-sleeping""#), "the probe ran")
        let notices = text.components(separatedBy: "Burrow cannot measure this burrow's disk use").count - 1
        XCTAssertEqual(notices, 1, "told once, not every round: \(text)")
        XCTAssertTrue(text.contains("podman volume rm \(name)"), "the notice names the fix")
    }

    /// A volume in the test Podman whose folder is removed behind Podman's back, as happened in CI.
    private func breakVolume(_ name: String, labels: [String: String]) async throws {
        let podman = try await PodmanTestEnvironment.client()
        try await podman.createVolume(name: name, labels: labels)
        let info = try await podman.inspectVolume(name)
        let folder = try XCTUnwrap(info.mountpoint)
        FileSystem.removeDirectory(folder)
        guard !FileSystem.exists(folder) else {
            try await podman.removeVolume(name)
            throw XCTSkip("cannot remove \(folder) behind Podman's back (Podman runs as another user)")
        }
        do {
            _ = try await podman.diskUsage()
            XCTFail("system df still answers with \(name) broken: the probe would prove nothing")
        } catch let error as PodmanError {
            XCTAssertEqual(DiskUsageReading.brokenVolume(in: error), name, "\(error)")
        }
    }
}
