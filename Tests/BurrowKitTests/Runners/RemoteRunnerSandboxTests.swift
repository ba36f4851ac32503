@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import Foundation
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// The sandbox on a remote runner: the way out and the key stay on the Burrow host, the agent as the
/// attacker on the relayed way out, and no unknown host trusted.
final class RemoteRunnerSandboxTests: XCTestCase {
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
        let app = try await RunnerTestEnvironment.app { config in
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
        let app = try await RunnerTestEnvironment.app { config in
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

    func testAnUnknownHostKeyIsRefused() async throws {
        var runner = try RunnerTestEnvironment.runner("impostor")
        runner.knownHostsFile = nil
        runner.hostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAnotherHostsKeyEntirelyAAAAAAAAAAAAAAAAAAAA"
        let stateDir = try TemporaryDirectory.make("burrow-state")
        let made = try Runner(remote: runner, stateDir: stateDir, labels: [:])
        made.start()
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
