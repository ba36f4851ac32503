@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import Foundation
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// Burrows on a remote runner: a real sshd on loopback and a second user's rootless Podman
/// (scripts/runner-env.sh), reached only through OpenSSH and Podman's API.
final class RemoteRunnerTests: XCTestCase {
    func finishedTurn(_ app: BurrowTestApp, _ id: String, turn: Int, within seconds: Double = 120) async throws -> BurrowRecord {
        try await withTimeout(seconds) {
            while true {
                let record = try await app.manager.record(id)
                if record.turn == turn, record.state.isFinal, record.queuedMessages.isEmpty, try await app.manager.events(id).ended { return record }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    func testALaunchRunsOnTheRunnerStreamsLiveTakesAFollowUpBringsTheWorkHomeAndTearsDown() async throws {
        let app = try await RunnerTestEnvironment.app()
        let runners = try await app.server.request("GET", "/api/runners")
        XCTAssertTrue(runners.text.contains("\"name\":\"far\"") && runners.text.contains("\"remote\":true"), runners.text)
        let refused = try await app.server.request("POST", "/api/burrows", headers: ["Content-Type": "application/json"],
                                                   body: #"{"repo": "demo", "task": "t", "runner": "local"}"#)
        XCTAssertEqual(refused.status, 400)
        XCTAssertTrue(refused.text.contains("repo demo may not run there"), refused.text)
        // A runner without the agent image gets it from the local Podman, through the two APIs.
        let far = try XCTUnwrap(app.manager.runners.first { $0.name == "far" })
        try await far.remote?.tunnel.waitConnected()
        try await far.podman.removeImage(PodmanTestEnvironment.image)
        let removed = try await far.podman.imageExists(PodmanTestEnvironment.image)
        XCTAssertFalse(removed)
        let record = try await app.launch("edit things TEXT=far-away")
        let events = try await app.readStream(record.id, within: 120)
        let copied = try await far.podman.imageExists(PodmanTestEnvironment.image)
        XCTAssertTrue(copied, "the image was copied to the runner")
        XCTAssertTrue(events.contains { $0.kind == "agent" && $0.data.contains("far-away") }, "the agent's output streamed live")
        let done = try await app.finished(record.id, within: 60)
        XCTAssertEqual(done.state, .succeeded, done.error ?? "")
        XCTAssertEqual(done.runner, "far")
        let remote = try XCTUnwrap(app.manager.runners.first { $0.name == "far" })
        // The container is the runner's, not the local Podman's, and names no path of this host.
        let inspect = try await remote.podman.rawInspect(record.container)
        XCTAssertFalse(inspect.contains(app.stateDir), "no host state path in the runner's container")
        XCTAssertFalse(inspect.contains(SandboxLayout.defaultForwarderPath()), "no host forwarder path")
        do {
            _ = try await app.manager.localPodman.inspectContainer(record.container)
            XCTFail("the burrow's container is in the local Podman")
        } catch let error as PodmanError where error.isNotFound {}
        // The work came home into the user's repo, from a runner that never saw it.
        let files = try await Subprocess.check(["git", "-C", app.repoPath, "show", "--name-only", "--format=", "burrow/\(record.id)"]).stdout
        XCTAssertTrue(files.contains("UNCOMMITTED.txt"), files)
        // A follow-up turn runs on the same runner, on the same workspace.
        _ = try await app.manager.sendMessage(record.id, text: "second turn TEXT=still-far")
        let second = try await finishedTurn(app, record.id, turn: 2)
        XCTAssertEqual(second.state, .succeeded, second.error ?? "")
        XCTAssertEqual(second.runner, "far")
        let secondState = try await remote.podman.inspectContainer(second.container).state.status
        XCTAssertEqual(secondState, "exited")
        // Teardown removes the burrow's containers and volumes on the runner.
        try await app.manager.teardown(record.id, purge: false)
        let left = try await remote.podman.listContainers(label: "io.burrow.id=\(record.id)")
        XCTAssertEqual(left.count, 0)
        let volumeLeft = try await remote.podman.volumeExists(record.workspaceVolume)
        XCTAssertFalse(volumeLeft)
        await RunnerTestEnvironment.cleanUp(app)
    }

    /// A GPU burrow goes to the runner labelled `gpu` and gets the CDI device of that runner's Podman
    /// (the test CDI spec of scripts/test-env.sh); a second burrow waits for the runner's only slot.
    func testAGPUBurrowGoesToTheGPURunnerAndTheNextWaitsForItsSlot() async throws {
        var runner = try RunnerTestEnvironment.runner(maxConcurrent: 1)
        runner.labels = ["gpu"]
        let app = try await BurrowTestApp { config in
            RunnerTestEnvironment.configure(&config, runner: runner)
            config.repos[0].gpu = true
            config.agentCommand = ["sh", "-c", "echo \"gpu=$BURROW_TEST_GPU\"; ls /dev/nvidia0; sleep 2", "sh"]
            config.taskInput = .argument
        }
        let first = try await app.launch("gpu probe")
        let second = try await app.launch("gpu probe again")
        try await withTimeout(60) {
            while try await app.manager.record(first.id).state != .running { try await Task.sleep(for: .milliseconds(50)) }
        }
        let waiting = try await app.manager.record(second.id).state
        XCTAssertEqual(waiting, .queued, "the runner's one slot is taken")
        let events = try await app.readStream(first.id, within: 60)
        let text = events.filter { $0.kind == "log" }.map(\.data).joined(separator: "\n")
        XCTAssertTrue(text.contains("gpu=injected-by-cdi") && text.contains("/dev/nvidia0"), text)
        let done = try await app.finished(first.id)
        XCTAssertEqual(done.runner, "far")
        XCTAssertEqual(done.state, .succeeded, done.error ?? "")
        let next = try await app.finished(second.id, within: 60)
        XCTAssertEqual(next.state, .succeeded, next.error ?? "")
        XCTAssertGreaterThanOrEqual(next.startedAt ?? 0, done.finishedAt ?? .infinity, "it started once the first was done")
        await RunnerTestEnvironment.cleanUp(app)
    }

    /// `burrow gc` reaches the runners: a burrow whose record is gone leaves its container and volumes
    /// there, and gc removes them (only this instance's, only those no record owns).
    func testGCRemovesARunnersOrphansAndKeepsWhatARecordOwns() async throws {
        let app = try await RunnerTestEnvironment.app()
        let orphan = try await app.launch("to be orphaned TEXT=orphan")
        let kept = try await app.launch("to be kept TEXT=kept")
        _ = try await app.finished(orphan.id, within: 90)
        _ = try await app.finished(kept.id, within: 90)
        let far = try XCTUnwrap(app.manager.runners.first { $0.name == "far" })
        FileSystem.removeTree(app.stateDir + "/burrows/" + orphan.id)
        let succeeded = await RunnerGC.run(app.manager.config, dryRun: false)
        XCTAssertTrue(succeeded)
        let orphanLeft = try await far.podman.listContainers(label: "io.burrow.id=\(orphan.id)")
        XCTAssertEqual(orphanLeft.count, 0, "the orphan's container is gone")
        let orphanVolume = try await far.podman.volumeExists(orphan.workspaceVolume)
        XCTAssertFalse(orphanVolume)
        // What gc would remove of a burrow it took for an orphan: its volumes (its workspace above all).
        let keptWorkspace = try await far.podman.volumeExists(kept.workspaceVolume)
        XCTAssertTrue(keptWorkspace, "probe: the owned burrow's workspace is still there")
        let keptConfig = try await far.podman.volumeExists(kept.configVolume)
        XCTAssertTrue(keptConfig, "and its config volume")
        await RunnerTestEnvironment.cleanUp(app)
    }

    /// The page's orphans notice asks the runners too, and says which runner each orphan is on.
    func testTheOrphansNoticeNamesARunnersOrphansAndItsRunner() async throws {
        let app = try await RunnerTestEnvironment.app()
        let far = try XCTUnwrap(app.manager.runners.first { $0.name == "far" })
        try await far.remote?.tunnel.waitConnected()
        let name = "burrow-0rphan\(BurrowRecord.newID().prefix(6))-workspace"
        let labels = try BurrowLabels.stamped(["io.burrow.id": "0rphan000000"], config: app.manager.config)
        try await far.podman.createVolume(name: name, labels: labels)
        let response = try await app.server.request("GET", "/api/orphans")
        try? await far.podman.removeVolume(name, force: true)
        XCTAssertEqual(response.status, 200)
        let report = try JSONDecoder().decode(OrphanReport.self, from: Data(response.body))
        XCTAssertEqual(report.volumes.filter { $0.name == name }.map(\.runner), ["far"], "\(report)")
        XCTAssertNil(report.unaskedRunners, "every runner was asked")
        await RunnerTestEnvironment.cleanUp(app)
    }
}
