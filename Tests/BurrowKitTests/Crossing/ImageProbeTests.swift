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
}
