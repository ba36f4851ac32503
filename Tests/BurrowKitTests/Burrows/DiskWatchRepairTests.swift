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
        // A file a running container deleted while Podman measured its layer (read again, not a broken volume).
        let raced = PodmanError.api(operation: "system df", status: 500, cause: "no such file or directory",
                                    message: "failed to get read/write size of container cc4f3dcf: lstat /home/u/.local/share/containers/storage/overlay/846a/diff/scratch/index.lock: no such file or directory")
        XCTAssertEqual(DiskUsageReading.missingPath(in: raced), "/home/u/.local/share/containers/storage/overlay/846a/diff/scratch/index.lock")
        XCTAssertNil(DiskUsageReading.brokenVolume(in: raced))
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

    /// As CI left it: a container created on a burrow's volume while the volume was being removed had
    /// Podman make it again (unlabelled), and the removal then took its folder; the container still
    /// mounts it, so Podman refuses the volume's removal (409). A Burrow container that is not
    /// running cannot start again (its mount is gone): it goes with the volume.
    func testABrokenVolumeStillMountedByAStoppedBurrowContainerIsRemovedWithIt() async throws {
        let burrow = BurrowRecord.newID(), name = "burrow-\(burrow)-workspace"
        XCTAssertEqual(BurrowRecord.ownVolumeBurrow(name), burrow)
        XCTAssertNil(BurrowRecord.ownVolumeBurrow("burrow-\(burrow)-workspace-x"))
        let podman = try await PodmanTestEnvironment.client()
        let user = try await mountedBrokenVolume(name, burrow: burrow, running: false)
        let outcome = await Result { try await ResourceBoundsTests.writePastTheBudget(self, into: "/burrow/claude") }
        let left = try await podman.volumeExists(name)
        let users = try await podman.listContainers(label: "io.burrow.id=\(burrow)")
        try? await podman.remove(user)
        if left { try await podman.removeVolume(name, force: true) }
        XCTAssertFalse(left, "the broken volume was removed by the disk watch")
        XCTAssertEqual(users.count, 0, "with the stopped container that mounted it")
        try outcome.get()
    }

    /// The same volume mounted by a container that runs: nothing of it is removed, the burrows are told.
    func testABrokenVolumeMountedByARunningContainerIsLeftAndNamed() async throws {
        let burrow = BurrowRecord.newID(), name = "burrow-\(burrow)-workspace"
        let podman = try await PodmanTestEnvironment.client()
        let user = try await mountedBrokenVolume(name, burrow: burrow, running: true)
        let outcome = await Result { () async throws -> (AttackBurrow, BurrowRecord) in
            let attack = try await AttackBurrow.make(self) { $0.limits.disk = "50m" }
            attack.app.manager.diskWatch.interval.withLock { $0 = .milliseconds(300) }
            return (attack, try await attack.run("sleep 2; echo done-sleeping", within: 60))
        }
        let running = try await podman.inspectContainer(user).state.running
        let left = try await podman.volumeExists(name)
        try? await podman.remove(user, force: true)
        try? await podman.removeVolume(name, force: true)
        XCTAssertTrue(running, "the container that mounts it still runs")
        XCTAssertTrue(left, "a volume a running container mounts is not removed")
        let (attack, record) = try outcome.get()
        let text = try ResourceBoundsTests.events(attack, record.id)
        XCTAssertTrue(text.contains(#""text":"done-sleeping""#), "the probe ran")
        XCTAssertTrue(text.contains("Burrow could not") && text.contains("(running)"), "the notice says why: \(text.suffix(2000))")
    }

    /// A volume named as burrow `burrow`'s, made again unlabelled as Podman does, mounted by a container
    /// of that burrow (started when `running`), its folder then removed behind Podman's back.
    private func mountedBrokenVolume(_ name: String, burrow: String, running: Bool) async throws -> String {
        let podman = try await PodmanTestEnvironment.client()
        try await podman.createVolume(name: name, labels: [:])
        var spec = ContainerSpec(image: PodmanTestEnvironment.image)
        spec.name = name + "-user"
        spec.command = running ? ["sleep", "300"] : ["/bin/true"]
        spec.labels = ["io.burrow.id": burrow]
        spec.volumes = [.init(name: name, destination: "/workspace")]
        _ = try await podman.createContainer(spec)
        if running { try await podman.start(name + "-user") }
        try await breakVolume(name, labels: nil)
        do {
            try await podman.removeVolume(name)
            XCTFail("the probe: Podman refuses to remove a volume a container mounts")
        } catch PodmanError.api(_, 409, _, _) {}
        return name + "-user"
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
    /// `labels` nil: the volume exists already.
    private func breakVolume(_ name: String, labels: [String: String]?) async throws {
        let podman = try await PodmanTestEnvironment.client()
        if let labels { try await podman.createVolume(name: name, labels: labels) }
        let info = try await podman.inspectVolume(name)
        let folder = try XCTUnwrap(info.mountpoint)
        FileSystem.removeDirectory(folder)
        guard !FileSystem.exists(folder) else {
            try await podman.removeVolume(name, force: true)
            throw XCTSkip("cannot remove \(folder) behind Podman's back (Podman runs as another user)")
        }
        do {
            _ = try await podman.diskUsage()
            XCTFail("system df still answers with \(name) broken: the probe would prove nothing")
        } catch let error as PodmanError {
            XCTAssertEqual(DiskUsageReading.brokenVolume(in: error), name, "\(error)")
        }
    }

    /// The box deletes and makes again, in a loop, files at paths that end like another volume's
    /// folder (`…/volumes/VICTIM/_data`), so that Podman's walk fails naming them; and it writes past
    /// its budget meanwhile. Burrow must neither remove the victim (the path is not its mount point)
    /// nor stay blind: the burrow is stopped, by its budget or for blinding the watch.
    func testABoxThatChurnsFilesToBreakTheMeasurementRemovesNothingAndIsStopped() async throws {
        let podman = try await PodmanTestEnvironment.client()
        let victim = "burrow-" + PodmanTestEnvironment.uniqueName("victim").suffix(10) + "-workspace"
        try await podman.createVolume(name: victim, labels: [BurrowLabels.instance: "someone-elses-instance"])
        let attack = try await AttackBurrow.make(self) { $0.limits.disk = "50m" }
        attack.app.manager.diskWatch.interval.withLock { $0 = .milliseconds(300) }
        let outcome = await Result {
            try await attack.run("""
                for d in $(seq 1 40); do mkdir -p /burrow/claude/c$d/volumes/\(victim); done
                churn() { while :; do for d in $(seq 1 40); do : > /burrow/claude/c$d/volumes/\(victim)/_data; done; rm -f /burrow/claude/c*/volumes/\(victim)/_data; done; }
                churn & churn & churn &
                i=0; while [ $i -lt 60 ]; do
                  dd if=/dev/zero of=/burrow/claude/fill$i bs=1M count=5 2>/dev/null; i=$((i+1)); echo "wrote $((i*5)) MiB"; sleep 0.5
                done; echo finished-writing; rm -f /burrow/claude/fill*
                """, within: 120)
        }
        let survived = try await podman.volumeExists(victim)
        if survived { try await podman.removeVolume(victim) }
        XCTAssertTrue(survived, "another burrow's volume was removed on the box's word")
        let record = try outcome.get()
        let text = try ResourceBoundsTests.events(attack, record.id)
        XCTAssertTrue(text.contains(#""text":"wrote 10 MiB""#), "the probe ran: it wrote")
        XCTAssertEqual(record.state, .stopped, "the box is not left unmeasured: \(record.stopReason ?? "no reason")")
        XCTAssertFalse(text.contains(#""text":"finished-writing""#))
        let blinded = text.contains("Burrow cannot measure this burrow's disk use") || record.stopReason?.contains("could not be measured") == true
        print("churn: stopped with '\(record.stopReason ?? "")'; a reading failed: \(blinded)")
    }
}
