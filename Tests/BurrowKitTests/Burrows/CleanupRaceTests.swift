@testable import BurrowSystem
@testable import BurrowPodman
@testable import BurrowKit
import XCTest

/// A test that ends while its burrows are still being prepared: its clean-up removed their volumes
/// while the preparations went on making containers on them; Podman made the volumes again and the
/// removals took their folders. That left a volume without its folder in the test Podman, and every
/// later test's disk watch failed (two CI runs). The clean-up ends the runs first now.
final class CleanupRaceTests: XCTestCase {
    func testCleaningUpWhilePreparingLeavesNoVolumeWithoutItsFolder() async throws {
        let podman = try await PodmanTestEnvironment.client()
        let probes = { Set(try await podman.listContainers(label: "io.burrow.role=probe").compactMap(\.names.first)) }
        let probesBefore = try await probes()
        var volumes: [String] = []
        for round in 0..<4 {
            let app = try await BurrowTestApp(maxConcurrent: 3)
            var records: [BurrowRecord] = []
            for _ in 0..<3 { records.append(try await app.manager.launch(repo: "demo", task: "quick", gpu: nil)) }
            // Into the preparation (a workspace is being made), then the test "ends".
            let watched = records[round % 3].workspaceVolume
            try await withTimeout(30) {
                while try await !podman.volumeExists(watched) { try await Task.sleep(for: .milliseconds(5)) }
            }
            try await Task.sleep(for: .milliseconds(round * 40))
            await app.cleanUp()
            await app.manager.shutdown()
            volumes += records.flatMap(\.ownVolumes)
        }
        var left: [String] = []
        for volume in volumes where try await podman.volumeExists(volume) {
            let folder = (try? await podman.inspectVolume(volume))?.mountpoint ?? ""
            left.append(volume + (FileSystem.exists(folder) ? "" : " (without its folder)"))
            try? await podman.removeVolume(volume, force: true)
        }
        XCTAssertEqual(left, [], "no volume of a cleaned-up test's burrows is left (with or without its folder)")
        // A probe of the agent image's user called off by the shutdown was left once (a CI run).
        let probesLeft = try await probes().subtracting(probesBefore)
        XCTAssertEqual(probesLeft, [], "no probe container is left")
    }
}
