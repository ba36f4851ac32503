@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import Foundation
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// A remote runner going away under a running burrow (its SSH connection, its Podman, for good, or
/// out of the configuration) and Burrow itself restarting: never lost, never duplicated, or failed
/// with the reason.
final class RemoteRunnerOutageTests: XCTestCase {
    func testKillingTheSSHConnectionMidRunRejoinsWithoutLosingOrRepeatingOutputAndTheWayOutComesBack() async throws {
        let site = try SandboxTests.HostSite()
        defer { Task { await site.server.shutdown() } }
        let port = site.port
        let script = "for i in $(seq 1 30); do echo \"line $i\"; sleep 0.2; done; wget -q -O - http://allowed.burrow.test:\(port)/after-the-cut 2>&1; echo; echo \"wget exit=$?\""
        let app = try await RunnerTestEnvironment.app { config in
            config.network = NetworkConfig(mode: .allowlist)
            config.network.allow = ["allowed.burrow.test:\(port)"]
            config.network.resolve = ["allowed.burrow.test": "127.0.0.1"]
            config.agentCommand = ["sh", "-c", script, "sh"]
            config.taskInput = .argument
        }
        let record = try await app.launch("cut probe")
        let remote = try XCTUnwrap(app.manager.runners.first { $0.name == "far" }?.remote)
        try await withTimeout(90) {
            while try await app.manager.events(record.id).lastSequence < 6 { try await Task.sleep(for: .milliseconds(50)) }
        }
        try await RunnerTestEnvironment.killMaster(remote.tunnel)
        let done = try await app.finished(record.id, within: 120)
        XCTAssertEqual(done.state, .succeeded, done.error ?? "")
        XCTAssertGreaterThanOrEqual(remote.tunnel.connections, 2, "the connection was made again")
        let events = try await app.readStream(record.id)
        XCTAssertEqual(events.map(\.id), Array(1...events.count), "every event once, in order")
        let lines = events.filter { $0.kind == "log" }.compactMap { (try? JSONDecoder().decode(OutputEvent.LogLine.self, from: Data($0.data.utf8)))?.text }
        XCTAssertEqual(lines.filter { $0.hasPrefix("line ") }, (1...30).map { "line \($0)" }, "no line lost or repeated across the cut")
        XCTAssertTrue(lines.contains("hello from the allowed host, path /after-the-cut"), "the egress socket was forwarded again: \(lines)")
        await RunnerTestEnvironment.cleanUp(app)
    }

    /// A runner that does not come back within `reconnectSeconds`: the burrow ends failed, saying
    /// which runner and why (here: its host key changed, which Burrow refuses).
    func testARunnerGoneForGoodEndsTheBurrowFailedWithTheReason() async throws {
        var runner = try RunnerTestEnvironment.runner()
        let knownHosts = try TemporaryDirectory.make("runner-known-hosts") + "/known_hosts"
        let original = try FileSystem.readFile(runner.knownHostsFile ?? "")
        try FileSystem.writeAtomically(original, to: knownHosts, mode: 0o600)
        runner.knownHostsFile = knownHosts
        runner.reconnectSeconds = 3
        let app = try await BurrowTestApp { config in RunnerTestEnvironment.configure(&config, runner: runner) }
        let record = try await app.launch("long turn SLEEP=20 TEXT=abandoned")
        let remote = try XCTUnwrap(app.manager.runners.first { $0.name == "far" }?.remote)
        try await withTimeout(90) {
            while try await app.manager.record(record.id).state != .running { try await Task.sleep(for: .milliseconds(50)) }
        }
        let line = String(decoding: original, as: UTF8.self).split(separator: " ").prefix(1).joined()
        try FileSystem.writeAtomically(Array("\(line) ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAnotherHostsKeyEntirelyAAAAAAAAAAAAAAAAAAAA\n".utf8), to: knownHosts, mode: 0o600)
        try await RunnerTestEnvironment.killMaster(remote.tunnel)
        let done = try await app.finished(record.id, within: 60)
        XCTAssertEqual(done.state, .failed)
        let reason = done.error ?? ""
        XCTAssertTrue(reason.contains("runner far was unreachable for 3 s") && reason.contains("Host key verification failed"), reason)
        // The runner back (its real key): what the test made there is removed.
        try FileSystem.writeAtomically(original, to: knownHosts, mode: 0o600)
        try await remote.tunnel.waitConnected(timeout: .seconds(30))
        await RunnerTestEnvironment.cleanUp(app)
    }

    func testTheRunnersPodmanRestartedMidRunIsWaitedOutAndNothingIsLost() async throws {
        let app = try await RunnerTestEnvironment.app()
        let record = try await app.launch("outage LINES=300 RATE=100 TEXT=runner-outage")
        try await withTimeout(60) {
            while try await app.manager.events(record.id).lastSequence < 30 { try await Task.sleep(for: .milliseconds(50)) }
        }
        // The service this test's environment started for the runner's user, ended by its process id.
        let user = RunnerTestEnvironment.value("USER") ?? "burrowrunner"
        let found = try await Subprocess.run(["pgrep", "-u", user, "-f", "podman system service"])
        let pids = found.stdout.split(separator: "\n").compactMap { Int32($0) }
        XCTAssertFalse(pids.isEmpty, "the runner's Podman service was found")
        for pid in pids { kill(pid, SIGTERM) }
        let remote = try XCTUnwrap(app.manager.runners.first { $0.name == "far" })
        try await withTimeout(20) { while (try? await remote.podman.ping()) != nil { try await Task.sleep(for: .milliseconds(100)) } }
        try await Task.sleep(for: .seconds(1))
        try await Subprocess.check(["bash", #filePath.components(separatedBy: "/Tests/")[0] + "/scripts/runner-env.sh"])
        let events = try await app.readStream(record.id, within: 120)
        let numbered = events.filter { $0.kind == "agent" }.compactMap { event -> Int? in
            guard let range = event.data.range(of: "\"text\":\"line ") else { return nil }
            return Int(event.data[range.upperBound...].prefix { $0.isNumber })
        }
        XCTAssertEqual(numbered, Array(1...300), "every line once, in order")
        let done = try await app.finished(record.id)
        XCTAssertEqual(done.state, .succeeded, done.error ?? "")
        XCTAssertNotNil(done.branch, "the work came home")
        await RunnerTestEnvironment.cleanUp(app)
    }

    /// Burrow stops while a remote burrow runs (its containers run on) and a new Burrow on the same
    /// state dir follows it again: its egress socket is forwarded anew, its output is whole.
    func testANewBurrowRejoinsARunningRemoteBurrowAndItsWayOut() async throws {
        let site = try SandboxTests.HostSite()
        defer { Task { await site.server.shutdown() } }
        let port = site.port
        let script = "for i in 1 2 3 4 5 6; do echo \"tick $i\"; sleep 1; done; wget -q -O - http://allowed.burrow.test:\(port)/after-restart 2>&1; echo; echo \"wget exit=$?\""
        let runner = try RunnerTestEnvironment.runner()
        let configure: (inout Config) -> Void = { config in
            RunnerTestEnvironment.configure(&config, runner: runner)
            config.network = NetworkConfig(mode: .allowlist)
            config.network.allow = ["allowed.burrow.test:\(port)"]
            config.network.resolve = ["allowed.burrow.test": "127.0.0.1"]
            config.agentCommand = ["sh", "-c", script, "sh"]
            config.taskInput = .argument
        }
        let first = try await BurrowTestApp(configure: configure)
        let record = try await first.launch("restart probe")
        try await withTimeout(90) {
            while try await first.manager.events(record.id).lastSequence < 4 { try await Task.sleep(for: .milliseconds(50)) }
        }
        await first.manager.shutdown()
        let second = try await BurrowTestApp(cacheName: first.cacheName, stateDir: first.stateDir, repoPath: first.repoPath, configure: configure)
        let done = try await second.finished(record.id, within: 90)
        XCTAssertEqual(done.state, .succeeded, done.error ?? "")
        let events = try await second.readStream(record.id)
        XCTAssertEqual(events.map(\.id), Array(1...events.count))
        let lines = events.filter { $0.kind == "log" }.compactMap { (try? JSONDecoder().decode(OutputEvent.LogLine.self, from: Data($0.data.utf8)))?.text }
        XCTAssertEqual(lines.filter { $0.hasPrefix("tick ") }, (1...6).map { "tick \($0)" }, "every line once")
        XCTAssertTrue(lines.contains("hello from the allowed host, path /after-restart"), "\(lines)")
        await RunnerTestEnvironment.cleanUp(second)
        await first.cleanUp()
    }

    /// A Burrow restarted without the runner a burrow runs on: the burrow ends failed saying so,
    /// instead of being looked for in the local Podman.
    func testARunningBurrowWhoseRunnerLeftTheConfigurationEndsFailedSayingSo() async throws {
        let runner = try RunnerTestEnvironment.runner()
        let withRunner: (inout Config) -> Void = { RunnerTestEnvironment.configure(&$0, runner: runner) }
        let first = try await BurrowTestApp(configure: withRunner)
        let record = try await first.launch("long turn SLEEP=20 TEXT=left-behind")
        try await withTimeout(90) {
            while try await first.manager.record(record.id).state != .running { try await Task.sleep(for: .milliseconds(50)) }
        }
        await first.manager.shutdown()
        let second = try await BurrowTestApp(cacheName: first.cacheName, stateDir: first.stateDir, repoPath: first.repoPath)
        let done = try await second.finished(record.id, within: 60)
        XCTAssertEqual(done.state, .failed)
        XCTAssertTrue(done.error?.contains("runner far is not in the configuration any more") ?? false, done.error ?? "")
        await second.manager.shutdown()
        // The runner configured again: what the test left there is removed through it.
        let third = try await BurrowTestApp(cacheName: first.cacheName, stateDir: first.stateDir, repoPath: first.repoPath, configure: withRunner)
        await RunnerTestEnvironment.cleanUp(third)
        await second.cleanUp()
        await first.cleanUp()
    }
}
