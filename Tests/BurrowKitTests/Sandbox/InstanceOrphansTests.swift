@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import Foundation
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// Two Burrows on one Podman: each collects only its own leftovers, never the other's burrows.
final class InstanceOrphansTests: XCTestCase {
    func testGCOfOneInstanceNeverListsAnotherInstancesRunningBurrow() async throws {
        // Instance A runs a burrow that stays up while B looks.
        let first = try await BurrowTestApp { config in
            config.agentCommand = ["sh", "-c", "echo up; sleep 60", "sh"]
            config.taskInput = .argument
        }
        let record = try await first.launch("stay running")
        try await withTimeout(60) {
            while try await first.manager.record(record.id).state != .running { try await Task.sleep(for: .milliseconds(100)) }
        }
        // The agent's container, and (once the agent printed) its way-home helper, started idle.
        let all = try await first.manager.podman.listContainers(label: "io.burrow.id=\(record.id)")
        let containers = all.filter { $0.labels?["io.burrow.role"] != "helper" }
        let instanceA = try BurrowInstance.id(stateDir: first.stateDir)
        XCTAssertTrue(all.allSatisfy { $0.labels?[BurrowLabels.instance] == instanceA }, "every container carries its instance")
        XCTAssertEqual(containers.count, 1)
        XCTAssertEqual(containers.first?.labels?[BurrowLabels.instance], instanceA, "the container carries its instance")
        XCTAssertEqual(containers.first?.state, "running")
        let volumes = try await first.manager.podman.listVolumes(label: "io.burrow.id=\(record.id)")
        XCTAssertEqual(volumes.count, 2)
        XCTAssertTrue(volumes.allSatisfy { $0.labels?[BurrowLabels.instance] == instanceA }, "\(volumes.map(\.labels))")

        // Instance B: another state dir, same Podman. A leftover of its own is found; A's are not.
        let stateB = try TemporaryDirectory.make("burrow-instance-b")
        let instanceB = try BurrowInstance.id(stateDir: stateB)
        XCTAssertNotEqual(instanceA, instanceB)
        let leftover = "burrow-" + PodmanTestEnvironment.uniqueName("bleft") + "-workspace"
        try await first.manager.podman.createVolume(name: leftover, labels: ["io.burrow.id": "b0b0b0b0b0b0", BurrowLabels.instance: instanceB])
        let podman = first.manager.podman
        let reportB = try await Orphans.find(podman: podman, owners: Orphans.owners(stateDir: stateB), stateDir: stateB)
        XCTAssertTrue(reportB.volumes.contains { $0.name == leftover }, "probe: B does find its own leftover: \(reportB)")
        XCTAssertFalse(reportB.containers.contains { $0.burrow == record.id }, "B lists A's running container: \(reportB)")
        XCTAssertFalse(reportB.volumes.contains { $0.burrow == record.id }, "B lists A's volumes: \(reportB)")
        XCTAssertGreaterThanOrEqual(reportB.otherInstances, 3, "A's container and two volumes are counted as another instance's")

        // `burrow gc` as B removes its leftover and leaves A's running burrow alone.
        let configB = stateB + "/config.json"
        try FileSystem.writeAtomically(Array(#"{"podmanSocket": "\#(PodmanTestEnvironment.socket!)", "stateDir": "\#(stateB)"}"#.utf8), to: configB)
        let collected = await GCCommand.run(configPath: configB, dryRun: false)
        XCTAssertTrue(collected)
        let leftoverGone = try await !podman.volumeExists(leftover)
        XCTAssertTrue(leftoverGone)
        let stillRunning = try await podman.inspectContainer(record.container).state.running
        XCTAssertTrue(stillRunning, "A's burrow still runs")
        let workspaceKept = try await podman.volumeExists(record.workspaceVolume)
        XCTAssertTrue(workspaceKept)

        // A itself sees nothing to collect: its running burrow has a record.
        let reportA = try await Orphans.find(podman: podman, owners: Orphans.owners(stateDir: first.stateDir), stateDir: first.stateDir)
        XCTAssertFalse(reportA.containers.contains { $0.burrow == record.id })
        _ = try await first.manager.stop(record.id)
        await first.cleanUp()
    }
}
