@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import Foundation
import XCTest

/// Burrows on a remote runner: a real sshd on loopback and a second user's rootless Podman
/// (scripts/runner-env.sh), reached only through OpenSSH and Podman's API.
final class RemoteRunnerTests: XCTestCase {
    func remoteApp(maxConcurrent: Int = 4, configure: (inout Config) -> Void = { _ in }) async throws -> BurrowTestApp {
        let runner = try RunnerTestEnvironment.runner(maxConcurrent: maxConcurrent)
        return try await BurrowTestApp { config in
            RunnerTestEnvironment.configure(&config, runner: runner)
            configure(&config)
        }
    }

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
        let app = try await remoteApp()
        let record = try await app.launch("edit things TEXT=far-away")
        let events = try await app.readStream(record.id, within: 120)
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

    func testKillingTheSSHConnectionMidRunRejoinsWithoutLosingOrRepeatingOutput() async throws {
        let app = try await remoteApp()
        let record = try await app.launch("long turn SLEEP=6 LINES=30 TEXT=across-the-cut")
        let remote = try XCTUnwrap(app.manager.runners.first { $0.name == "far" }?.remote)
        try await withTimeout(90) {
            while try await app.manager.record(record.id).state != .running { try await Task.sleep(for: .milliseconds(100)) }
        }
        try await Task.sleep(for: .seconds(1))
        let check = try await Subprocess.run(["ssh"] + remote.tunnel.options + ["-O", "check", remote.tunnel.destination.host])
        let text = check.stderr + check.stdout
        let pid = try XCTUnwrap(text.range(of: "pid=").map { Int32(text[$0.upperBound...].prefix { $0.isNumber }) } ?? nil, text)
        XCTAssertEqual(kill(pid, SIGKILL), 0, "the SSH master was killed")
        let done = try await app.finished(record.id, within: 120)
        XCTAssertEqual(done.state, .succeeded, done.error ?? "")
        XCTAssertGreaterThanOrEqual(remote.tunnel.connections, 2, "the connection was made again")
        let events = try await app.readStream(record.id)
        XCTAssertEqual(events.map(\.id), Array(1...events.count), "every event once, in order")
        let numbered = events.filter { $0.kind == "agent" }.compactMap { event -> Int? in
            guard let range = event.data.range(of: "\"text\":\"line ") else { return nil }
            return Int(event.data[range.upperBound...].prefix { $0.isNumber })
        }
        XCTAssertEqual(numbered, Array(1...30), "no line lost or repeated across the cut")
        await RunnerTestEnvironment.cleanUp(app)
    }

    func testAnUnknownHostKeyIsRefused() async throws {
        var runner = try RunnerTestEnvironment.runner("impostor")
        runner.knownHostsFile = nil
        runner.hostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAnotherHostsKeyEntirelyAAAAAAAAAAAAAAAAAAAA"
        let stateDir = try TemporaryDirectory.make("burrow-state")
        let made = try Runner(remote: runner, stateDir: stateDir, labels: [:])
        let tunnel = try XCTUnwrap(made.remote?.tunnel)
        try await withTimeout(30) {
            while tunnel.lastError == nil { try await Task.sleep(for: .milliseconds(50)) }
        }
        XCTAssertFalse(tunnel.isConnected)
        XCTAssertTrue(tunnel.lastError?.contains("Host key verification failed") ?? false, tunnel.lastError ?? "")
        do {
            try await made.podman.ping()
            XCTFail("Podman answered through a connection to an unknown host")
        } catch let error as PodmanError { XCTAssertTrue(error.isConnectionLoss, "\(error)") }
        await tunnel.shutdown()
    }
}
