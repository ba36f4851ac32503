@testable import BurrowSystem
@testable import BurrowPodman
@testable import BurrowKit
import XCTest

/// The container that reads the agent user out of an image's /etc/passwd is Burrow's own: called
/// off at any moment (a launch cancelled, a shutdown), it is still removed. One was left in the test
/// Podman by a shutdown during a launch (a CI run), under a name nobody looks for again.
final class ImageProbeTests: XCTestCase {
    func testAProbeCalledOffAtAnyMomentLeavesNoContainer() async throws {
        let podman = try await PodmanTestEnvironment.client()
        let image = PodmanTestEnvironment.image
        let probes = { Set(try await podman.listContainers(label: "io.burrow.role=probe").compactMap(\.names.first)) }
        let before = try await probes()

        let facts = try await ImageFacts.probe("agent", image: image, podman: podman)
        XCTAssertGreaterThan(facts.identity.uid, 0, "the probe reads the image's agent user")
        var cancelledMidway = 0
        for delay in [0, 2, 5, 10, 15, 20, 30, 40, 60, 80, 120, 160] {
            let probe = Task { try await ImageFacts.probe("agent", image: image, podman: podman) }
            try await Task.sleep(for: .milliseconds(delay))
            probe.cancel()
            if case .failure = await probe.result { cancelledMidway += 1 }
        }
        let left = try await probes().subtracting(before)
        for name in left { try? await podman.remove(name) }
        XCTAssertEqual(left, [], "no probe container is left")
        XCTAssertGreaterThan(cancelledMidway, 0, "some probes were called off before they ended")
    }

    /// What a Burrow killed in the middle of a probe leaves goes at its next start; another
    /// instance's probe on the same Podman (perhaps in use) stays.
    func testAProbeLeftByAKilledBurrowGoesAtItsNextStart() async throws {
        let first = try await BurrowTestApp()
        addTeardownBlock { await first.cleanUp() }
        let podman = first.manager.podman
        var mine = ContainerSpec(image: PodmanTestEnvironment.image)
        mine.name = PodmanTestEnvironment.uniqueName("burrow-probe")
        mine.command = ["true"]
        mine.labels = try await first.manager.instanceLabels(["io.burrow.role": "probe"])
        var theirs = mine
        theirs.name = PodmanTestEnvironment.uniqueName("burrow-probe")
        theirs.labels = ["io.burrow.role": "probe", BurrowLabels.instance: "0123456789abcdef"]
        // This process's own, as a launch probing while the next start's sweep runs: in use, it stays.
        var inUse = mine
        inUse.name = PodmanTestEnvironment.uniqueName("burrow-probe")
        inUse.labels[BurrowManager.probeProcessLabel] = BurrowManager.probeProcess
        for spec in [mine, theirs, inUse] { _ = try await podman.createContainer(spec) }
        let names = [mine.name ?? "", theirs.name ?? "", inUse.name ?? ""]
        addTeardownBlock { for name in names { try? await podman.remove(name) } }
        await first.manager.shutdown()

        let second = try await BurrowTestApp(cacheName: first.cacheName, stateDir: first.stateDir, repoPath: first.repoPath)
        addTeardownBlock { await second.cleanUp() }
        let left = Set(try await podman.listContainers(label: "io.burrow.role=probe").compactMap(\.names.first))
        XCTAssertFalse(left.contains(mine.name ?? ""), "this instance's probe went at its start")
        XCTAssertTrue(left.contains(theirs.name ?? ""), "another instance's probe stays")
        XCTAssertTrue(left.contains(inUse.name ?? ""), "a probe this process is using stays")
    }
}
