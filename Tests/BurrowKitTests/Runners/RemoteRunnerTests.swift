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

    func testKillingTheSSHConnectionMidRunRejoinsWithoutLosingOrRepeatingOutputAndTheWayOutComesBack() async throws {
        let site = try SandboxTests.HostSite()
        defer { Task { await site.server.shutdown() } }
        let port = site.port
        let script = "for i in $(seq 1 30); do echo \"line $i\"; sleep 0.2; done; wget -q -O - http://allowed.burrow.test:\(port)/after-the-cut 2>&1; echo; echo \"wget exit=$?\""
        let app = try await remoteApp { config in
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
        let check = try await Subprocess.run(["ssh"] + remote.tunnel.options + ["-O", "check", remote.tunnel.destination.host])
        let text = check.stderr + check.stdout
        let pid = try XCTUnwrap(text.range(of: "pid=").map { Int32(text[$0.upperBound...].prefix { $0.isNumber }) } ?? nil, text)
        XCTAssertEqual(kill(pid, SIGKILL), 0, "the SSH master was killed")
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
        let check = try await Subprocess.run(["ssh"] + remote.tunnel.options + ["-O", "check", remote.tunnel.destination.host])
        let text = check.stderr + check.stdout
        let pid = try XCTUnwrap(text.range(of: "pid=").map { Int32(text[$0.upperBound...].prefix { $0.isNumber }) } ?? nil, text)
        XCTAssertEqual(kill(pid, SIGKILL), 0)
        let done = try await app.finished(record.id, within: 60)
        XCTAssertEqual(done.state, .failed)
        let reason = done.error ?? ""
        XCTAssertTrue(reason.contains("runner far was unreachable for 3 s") && reason.contains("Host key verification failed"), reason)
        // The runner back (its real key): what the test made there is removed.
        try FileSystem.writeAtomically(original, to: knownHosts, mode: 0o600)
        try await remote.tunnel.waitConnected(timeout: .seconds(30))
        await RunnerTestEnvironment.cleanUp(app)
    }

    /// The proxy and the model endpoint stay on this host with the key; a remote burrow reaches them
    /// through its SSH-forwarded socket (relayed: no descriptor crosses SSH).
    func testEgressAllowlistAndModelEndpointWorkFromTheRunnerWithTheKeyNeverThere() async throws {
        let key = "sk-ant-api03-REAL-KEY-never-on-a-runner-\(UInt32.random(in: 0...UInt32.max))"
        let site = try SandboxTests.HostSite()
        defer { Task { await site.server.shutdown() } }
        setenv("BURROW_TEST_RUNNER_REAL_KEY", key, 1)
        let port = site.port
        let script = """
        echo "== allowed"; wget -q -O - http://allowed.burrow.test:\(port)/hello 2>&1; echo
        echo "== denied"; wget -q -O - http://denied.burrow.test:\(port)/hello 2>&1; echo "denied exit=$?"
        echo "== model"; (printf 'POST /v1/messages HTTP/1.1\\r\\nHost: x\\r\\nx-api-key: '"$ANTHROPIC_API_KEY"'\\r\\nContent-Type: application/json\\r\\nContent-Length: 2\\r\\nConnection: close\\r\\n\\r\\n{}'; sleep 3) | nc 127.0.0.1 3128; echo
        echo "== environ"; env
        echo "== end"
        """
        let app = try await remoteApp { config in
            config.network = NetworkConfig(mode: .allowlist)
            config.network.allow = ["allowed.burrow.test:\(port)"]
            config.network.resolve = ["allowed.burrow.test": "127.0.0.1", "denied.burrow.test": "127.0.0.1"]
            config.credentials = CredentialsConfig(anthropic: .init(env: "BURROW_TEST_RUNNER_REAL_KEY"), upstream: "http://127.0.0.1:\(port)")
            config.agentCommand = ["sh", "-c", script, "sh"]
            config.taskInput = .argument
        }
        let record = try await app.launch("egress probe")
        let events = try await app.readStream(record.id, within: 120)
        let output = events.filter { $0.kind == "log" }.compactMap { event -> String? in
            (try? JSONDecoder().decode(OutputEvent.LogLine.self, from: Data(event.data.utf8)))?.text
        }
        func section(_ name: String) -> String {
            guard let start = output.firstIndex(of: "== \(name)") else { return "" }
            return output[(start + 1)...].prefix { !$0.hasPrefix("== ") }.joined(separator: "\n")
        }
        let done = try await app.finished(record.id)
        XCTAssertEqual(done.runner, "far")
        XCTAssertTrue(output.contains("== end"), "the probe ran to its end: \(output)")
        XCTAssertTrue(section("allowed").contains("hello from the allowed host, path /hello"), section("allowed"))
        XCTAssertTrue(section("denied").contains("403") && section("denied").contains("denied exit=1"), section("denied"))
        XCTAssertTrue(section("model").contains("HTTP/1.1 200") && section("model").contains("message_stop"), section("model"))
        XCTAssertEqual(site.keysSeen.withLock { $0 }, [key], "the upstream got the real key, once, from this host")
        XCTAssertTrue(section("environ").contains("ANTHROPIC_API_KEY=\(Credential.placeholder)"))
        let net = events.filter { $0.kind == "net" }.map(\.data)
        XCTAssertTrue(net.contains { $0.contains("\"phase\":\"denied\"") && $0.contains("denied.burrow.test") }, "\(net)")
        XCTAssertTrue(net.contains { $0.contains("\"phase\":\"model\"") && $0.contains("\"status\":200") }, "\(net)")
        XCTAssertEqual(done.model?.requests, 1)
        // Nowhere on the runner: not in the container, not in anything its user's Podman or sshd
        // keeps. The same search finds the placeholder, so it does read the container's config.
        let remote = try XCTUnwrap(app.manager.runners.first { $0.name == "far" })
        let inspect = try await remote.podman.rawInspect(record.container)
        XCTAssertFalse(inspect.contains(key))
        XCTAssertFalse(output.joined(separator: "\n").contains(key))
        let runtime = try XCTUnwrap(remote.remote?.tunnel.remoteRuntime)
        let home = try await Subprocess.check(["sh", "-c", "getent passwd \(RunnerTestEnvironment.value("USER") ?? "burrowrunner") | cut -d: -f6"]).stdout.filter { $0 != "\n" }
        let places = [runtime, home]
        let found = try await Subprocess.run(["grep", "-rlsF", "-D", "skip", key] + places)
        XCTAssertEqual(found.status, 1, "the key is on the runner: \(found.stdout)\(found.stderr)")
        let placeholder = try await Subprocess.run(["grep", "-rlsF", "-D", "skip", Credential.placeholder] + places)
        XCTAssertEqual(placeholder.status, 0, "probe: the search reaches the runner's container configs")
        await RunnerTestEnvironment.cleanUp(app)
    }

    func testTheRunnersPodmanRestartedMidRunIsWaitedOutAndNothingIsLost() async throws {
        let app = try await remoteApp()
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

    /// The agent as the attacker on the relayed way out: far more connections than its budget, and
    /// garbage instead of HTTP. The proxy on this host refuses past `maxConnections`, the SSH
    /// connection every burrow on the runner shares stays up, and the burrow's own way out works after.
    func testARelayedFloodOfConnectionsAndGarbageIsRefusedAndTheSharedConnectionSurvives() async throws {
        let site = try SandboxTests.HostSite()
        defer { Task { await site.server.shutdown() } }
        let port = site.port
        let script = """
        for i in $(seq 1 40); do (sleep 5 | nc 127.0.0.1 3128 >/dev/null 2>&1 &); done
        sleep 7
        echo "== garbage"; (printf '\\000\\000GARBAGE\\r\\n\\r\\n'; sleep 2) | nc 127.0.0.1 3128 2>&1 | head -c 200; echo
        echo "== after"; wget -q -O - http://allowed.burrow.test:\(port)/after-the-flood 2>&1; echo; echo "after exit=$?"
        """
        let app = try await remoteApp { config in
            config.network = NetworkConfig(mode: .allowlist)
            config.network.allow = ["allowed.burrow.test:\(port)"]
            config.network.resolve = ["allowed.burrow.test": "127.0.0.1"]
            config.network.maxConnections = 8
            config.network.headerTimeoutSeconds = 3
            config.agentCommand = ["sh", "-c", script, "sh"]
            config.taskInput = .argument
        }
        let record = try await app.launch("relay flood")
        let events = try await app.readStream(record.id, within: 120)
        let lines = events.filter { $0.kind == "log" }.compactMap { (try? JSONDecoder().decode(OutputEvent.LogLine.self, from: Data($0.data.utf8)))?.text }
        let net = events.filter { $0.kind == "net" }.map(\.data)
        XCTAssertTrue(net.contains { $0.contains("network.maxConnections") }, "the cap was reached and reported: \(net.prefix(5))")
        XCTAssertTrue(lines.contains { $0.contains("400") }, "the garbage got a 400: \(lines)")
        XCTAssertTrue(lines.contains("hello from the allowed host, path /after-the-flood") && lines.contains("after exit=0"), "\(lines)")
        let remote = try XCTUnwrap(app.manager.runners.first { $0.name == "far" }?.remote)
        XCTAssertEqual(remote.tunnel.connections, 1, "the shared SSH connection was never lost")
        XCTAssertTrue(remote.tunnel.isConnected)
        let done = try await app.finished(record.id)
        XCTAssertEqual(done.state, .succeeded, done.error ?? "")
        await RunnerTestEnvironment.cleanUp(app)
    }

    /// `burrow gc` reaches the runners: a burrow whose record is gone leaves its container and volumes
    /// there, and gc removes them (only this instance's, only those no record owns).
    func testGCRemovesARunnersOrphansAndKeepsWhatARecordOwns() async throws {
        let app = try await remoteApp()
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
        let keptLeft = try await far.podman.listContainers(label: "io.burrow.id=\(kept.id)")
        XCTAssertEqual(keptLeft.count, 1, "probe: the owned burrow's container is still there")
        await RunnerTestEnvironment.cleanUp(app)
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
