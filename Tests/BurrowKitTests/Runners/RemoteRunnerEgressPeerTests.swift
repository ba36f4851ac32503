@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import Foundation
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// Another local user of the runner as the attacker: a running burrow's egress socket there leads
/// to the model endpoint with the owner's key, and only the burrow's own processes may use it, as
/// locally, whatever the modes of the folders above it and across an SSH reconnection.
final class RemoteRunnerEgressPeerTests: XCTestCase {
    func testAnotherUserOnTheRunnerCannotUseARunningBurrowsEgressSocketBeforeOrAfterAReconnection() async throws {
        let key = "sk-ant-api03-REAL-KEY-runner-peers-\(UInt32.random(in: 0...UInt32.max))"
        let site = try SandboxTests.HostSite()
        defer { Task { await site.server.shutdown() } }
        setenv("BURROW_TEST_RUNNER_PEER_KEY", key, 1)
        // A remoteDir under /tmp: every folder above the burrow's is world-traversable, so only the
        // burrow's own folder and socket can keep another user out.
        let remoteDir = "/tmp/burrow-runner-peers-\(UInt32.random(in: 0...UInt32.max))"
        defer { FileSystem.removeTree(remoteDir) }
        var runner = try RunnerTestEnvironment.runner()
        runner.remoteDir = remoteDir
        let port = site.port
        // The agent asks the model every few seconds until stopped, printing each answer's status line.
        let script = """
        for i in $(seq 1 100); do
          (printf 'POST /v1/messages HTTP/1.1\\r\\nHost: x\\r\\nx-api-key: '"$ANTHROPIC_API_KEY"'\\r\\nContent-Type: application/json\\r\\nContent-Length: 2\\r\\nConnection: close\\r\\n\\r\\n{}'; sleep 1) | nc 127.0.0.1 3128 | head -n 1
          sleep 1
        done
        """
        let app = try await BurrowTestApp { config in
            RunnerTestEnvironment.configure(&config, runner: runner)
            config.network = NetworkConfig(mode: .allowlist)
            config.credentials = CredentialsConfig(anthropic: .init(env: "BURROW_TEST_RUNNER_PEER_KEY"), upstream: "http://127.0.0.1:\(port)")
            config.agentCommand = ["sh", "-c", script, "sh"]
            config.taskInput = .argument
        }
        let record = try await app.launch("model calls until stopped")
        @Sendable func upstreamCalls() -> Int { site.keysSeen.withLock { $0.count } }
        try await withTimeout(120) { while upstreamCalls() < 1 { try await Task.sleep(for: .milliseconds(100)) } }
        XCTAssertEqual(site.keysSeen.withLock { Set($0) }, [key], "probe: the burrow reached the model endpoint with the real key")

        let folder = remoteDir + "/" + record.id
        let socket = folder + "/" + SandboxLayout.socketName
        let request = ["curl", "-sS", "-m", "10", "-o", "/dev/null", "-w", "status=%{http_code}", "--unix-socket", socket,
                       "-H", "x-api-key: stolen", "-H", "content-type: application/json", "-d", "{}", "http://x/v1/messages"]
        func attack(_ moment: String) async throws {
            let stolen = try await Subprocess.run(["runuser", "-u", "nobody", "--"] + request)
            XCTAssertFalse(stolen.stdout.contains("status=200"), "\(moment): nobody on the runner spent the key: \(stolen.stdout)")
            XCTAssertEqual(stolen.status, 7, "\(moment): nobody could not even connect: \(stolen.stdout) \(stolen.stderr)")
            XCTAssertTrue(stolen.stderr.contains("Permission denied") || stolen.stderr.contains("Couldn't connect"), stolen.stderr)
            let owned = try XCTUnwrap(FileSystem.status(folder), "\(moment): the burrow's folder is there")
            XCTAssertEqual(owned.mode & 0o077, 0, "\(moment): the folder is no one else's: \(String(owned.mode, radix: 8))")
            XCTAssertNotEqual(owned.owner, try runnerUID(), "\(moment): the folder is the agent's, not the SSH user's")
            let listening = try XCTUnwrap(FileSystem.status(socket), "\(moment): the socket is there")
            XCTAssertEqual(listening.mode & 0o077, 0, "\(moment): the socket is no one else's: \(String(listening.mode, radix: 8))")
            XCTAssertEqual(listening.owner, owned.owner, "\(moment): the socket is the agent's too")
        }
        try await attack("first connection")
        // Probe: the path and the request are right (root may do anything on the runner anyway).
        let asRoot = try await Subprocess.run(request)
        XCTAssertTrue(asRoot.stdout.contains("status=200"), "root reached the endpoint through the same path: \(asRoot.stdout) \(asRoot.stderr)")

        // The SSH connection dropped and made again: the socket is put back, for the burrow only.
        let remote = try XCTUnwrap(app.manager.runners.first { $0.name == "far" }?.remote)
        try await RunnerTestEnvironment.killMaster(remote.tunnel)
        try await withTimeout(60) {
            while remote.tunnel.connections < 2 || !remote.tunnel.isConnected { try await Task.sleep(for: .milliseconds(100)) }
        }
        let beforeReconnection = upstreamCalls()
        try await withTimeout(60) { while upstreamCalls() < beforeReconnection + 2 { try await Task.sleep(for: .milliseconds(100)) } }
        try await attack("after the reconnection")

        _ = try await app.manager.stop(record.id)
        let done = try await app.finished(record.id, within: 60)
        XCTAssertEqual(done.runner, "far")
        XCTAssertFalse(FileSystem.exists(folder), "the burrow's folder on the runner is gone once its turn is over")
        await RunnerTestEnvironment.cleanUp(app)
    }

    private func runnerUID() throws -> UInt32 {
        let user = RunnerTestEnvironment.value("USER") ?? "burrowrunner"
        return try XCTUnwrap(getpwnam(user)).pointee.pw_uid
    }
}
