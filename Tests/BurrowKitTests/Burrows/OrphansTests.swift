@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

final class OrphansTests: XCTestCase {
    func testGCRemovesWhatNoRecordOwnsAndKeepsRecordsAndCaches() async throws {
        let podman = try await PodmanTestEnvironment.client()
        let stateDir = try TemporaryDirectory.make("burrow-gc")
        let orphan = "0rphan" + PodmanTestEnvironment.uniqueName("x").suffix(6)
        let owned = BurrowRecord(id: "0wned" + PodmanTestEnvironment.uniqueName("y").suffix(7), repo: "demo", task: "t", gpu: false)
        let instance = try BurrowInstance.id(stateDir: stateDir)
        try FileSystem.createDirectories(stateDir + "/burrows/" + owned.id)
        try FileSystem.writeAtomically(Array(try JSONCoding.encoder.encode(owned)), to: stateDir + "/burrows/\(owned.id)/record.json")
        try await podman.createVolume(name: "burrow-\(orphan)-workspace", labels: ["io.burrow.id": orphan, BurrowLabels.instance: instance])
        try await podman.createVolume(name: owned.workspaceVolume, labels: ["io.burrow.id": owned.id, BurrowLabels.instance: instance])
        var spec = ContainerSpec(image: PodmanTestEnvironment.image)
        spec.name = "burrow-\(orphan)"
        spec.command = ["true"]
        spec.labels = ["io.burrow.id": orphan, BurrowLabels.instance: instance]
        _ = try await podman.createContainer(spec)
        let cache = "burrow-cache-" + PodmanTestEnvironment.uniqueName("gc")
        try await podman.createVolume(name: cache, labels: ["io.burrow.cache": "gc"])

        let report = try await Orphans.find(podman: podman, owners: Orphans.owners(stateDir: stateDir), stateDir: stateDir)
        XCTAssertTrue(report.containers.contains { $0.name == "burrow-\(orphan)" && $0.burrow == orphan })
        XCTAssertTrue(report.volumes.contains { $0.name == "burrow-\(orphan)-workspace" })
        XCTAssertFalse(report.volumes.contains { $0.burrow == owned.id }, "a record owns it")
        XCTAssertFalse(report.volumes.contains { $0.name == cache }, "caches are shared, never orphans")

        let config = stateDir + "/config.json"
        try FileSystem.writeAtomically(Array(#"{"podmanSocket": "\#(PodmanTestEnvironment.socket!)", "stateDir": "\#(stateDir)"}"#.utf8), to: config)
        let looked = await GCCommand.run(configPath: config, dryRun: true)
        XCTAssertTrue(looked)
        let stillThere = try await podman.volumeExists("burrow-\(orphan)-workspace")
        XCTAssertTrue(stillThere, "--dry-run only looks")
        let collected = await GCCommand.run(configPath: config, dryRun: false)
        XCTAssertTrue(collected)
        let orphanVolume = try await podman.volumeExists("burrow-\(orphan)-workspace")
        let orphanContainers = try await podman.listContainers(label: "io.burrow.id=\(orphan)")
        let ownedVolume = try await podman.volumeExists(owned.workspaceVolume)
        let cacheVolume = try await podman.volumeExists(cache)
        XCTAssertFalse(orphanVolume)
        XCTAssertTrue(orphanContainers.isEmpty)
        XCTAssertTrue(ownedVolume)
        XCTAssertTrue(cacheVolume)
        try await podman.removeVolume(owned.workspaceVolume, force: true)
        try await podman.removeVolume(cache, force: true)
    }

    /// A restart must not change who Burrow is: its leftovers from before stay its own to collect.
    func testAfterARestartGCCollectsItsOwnOrphan() async throws {
        let podman = try await PodmanTestEnvironment.client()
        let stateDir = try TemporaryDirectory.make("burrow-restart-gc")
        let before = try BurrowInstance.id(stateDir: stateDir)
        let orphan = "0rphan" + PodmanTestEnvironment.uniqueName("r").suffix(6)
        let volume = "burrow-\(orphan)-workspace"
        try await podman.createVolume(name: volume, labels: ["io.burrow.id": orphan, BurrowLabels.instance: before])

        BurrowInstance.forget(stateDir: stateDir)  // the restart: a new process reads the file again
        let after = try BurrowInstance.id(stateDir: stateDir)
        XCTAssertEqual(after, before, "the instance id changed across a restart")
        let config = stateDir + "/config.json"
        try FileSystem.writeAtomically(Array(#"{"podmanSocket": "\#(PodmanTestEnvironment.socket!)", "stateDir": "\#(stateDir)"}"#.utf8), to: config)
        let report = try await Orphans.find(podman: podman, owners: Orphans.owners(stateDir: stateDir), stateDir: stateDir)
        XCTAssertTrue(report.volumes.contains { $0.name == volume }, "its own leftover is not listed as its own: \(report)")
        let collected = await GCCommand.run(configPath: config, dryRun: false)
        XCTAssertTrue(collected)
        let stillThere = try await podman.volumeExists(volume)
        XCTAssertFalse(stillThere, "gc left its own orphan after a restart")
        if stillThere { try await podman.removeVolume(volume, force: true) }
    }
}
