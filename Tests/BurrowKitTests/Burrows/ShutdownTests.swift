@testable import BurrowKit
@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman
import Foundation
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// SIGTERM ends Burrow cleanly while burrows run: followers and proxies stop, nothing of Burrow's is
/// left running, the containers run on and are followed again by the next start.
final class ShutdownTests: XCTestCase {
    /// Stopped while it was being prepared, and Burrow ended before the preparation saw the stop: the
    /// next start queues it again (a preparing record is cleaned and queued) and must end it `stopped`,
    /// with its end event — not leave it queued for ever (found in review of an early version).
    func testABurrowStoppedWhilePreparingWhenBurrowEndedIsStoppedByTheNextStart() async throws {
        let first = try await BurrowTestApp()
        addTeardownBlock { await first.cleanUp() }
        let record = try await first.manager.launch(repo: "demo", task: "quick", gpu: nil)
        try await withTimeout(30) {
            while try await first.record(record.id).state != .preparing { try await Task.sleep(for: .milliseconds(2)) }
        }
        await first.manager.endRuns()
        let stopped = try await first.manager.stop(record.id)
        XCTAssertEqual(stopped.state, .preparing, "the probe: left preparing, the stop asked for")
        XCTAssertTrue(stopped.stopRequested)
        await first.manager.shutdown()
        let second = try await BurrowTestApp(cacheName: first.cacheName, stateDir: first.stateDir, repoPath: first.repoPath)
        addTeardownBlock { await second.cleanUp() }
        let ended = try await second.finished(record.id, within: 30)
        XCTAssertEqual(ended.state, .stopped)
        XCTAssertNil(ended.error)
    }

    func testShutdownEndsEveryTaskAndProxyAndLeavesTheContainerRunning() async throws {
        setenv("BURROW_TEST_SHUTDOWN_KEY", "sk-ant-api03-shutdown", 1)
        let app = try await BurrowTestApp { config in
            config.network = NetworkConfig(mode: .allowlist)
            config.network.allow = []
            // Claude Code (here the stand-in) is launched only with credentials.
            config.credentials = CredentialsConfig(anthropic: .init(env: "BURROW_TEST_SHUTDOWN_KEY"), upstream: "http://127.0.0.1:9")
        }
        addTeardownBlock { await app.cleanUp() }
        let record = try await app.launch("long SLEEP=20")
        try await withTimeout(30) {
            while try await app.record(record.id).state != .running { try await Task.sleep(for: .milliseconds(50)) }
        }
        let socket = app.stateDir + "/run/\(record.id)/" + SandboxLayout.socketName
        let before = try await AsyncSocket.connect(to: .unix(socket))
        before.close()
        let started = Monotonic.now()
        await app.manager.shutdown()
        XCTAssertLessThan(Double(Monotonic.now() - started) / 1e9, 5, "shutdown does not wait for the agent")
        let runs = await app.manager.liveRunCount
        XCTAssertEqual(runs, 0, "every run ended, and with it its egress proxy")
        do {
            let after = try await AsyncSocket.connect(to: .unix(socket))
            after.close()
            XCTFail("the burrow's socket still answers after shutdown")
        } catch {}
        let running = try await app.manager.podman.inspectContainer(record.container).state.running
        XCTAssertTrue(running, "the container runs on, to be followed again by the next start")
        let saved = try await app.record(record.id)
        XCTAssertEqual(saved.state, .running, "not marked failed by the shutdown")
    }

    /// Shutdown is a closed door: the running burrow's follower ends, and its end must not hand the
    /// slot to the queue. The queued burrow stays queued, for the next start.
    func testNoQueuedBurrowStartsOnceShutdownBegan() async throws {
        let app = try await BurrowTestApp(maxConcurrent: 1)
        addTeardownBlock { await app.cleanUp() }
        let running = try await app.launch("long SLEEP=30")
        try await withTimeout(30) {
            while try await app.record(running.id).state != .running { try await Task.sleep(for: .milliseconds(50)) }
        }
        let queued = try await app.launch("queued")
        let before = try await app.record(queued.id).state
        XCTAssertEqual(before, .queued, "the probe: the only slot is taken")
        await app.manager.shutdown()
        // A start would show within a moment (the record goes to `preparing` first thing).
        for _ in 0..<20 {
            let state = try await app.record(queued.id).state
            XCTAssertEqual(state, .queued, "a queued burrow started after shutdown began")
            if state != .queued { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let containers = try await app.manager.podman.listContainers(label: "io.burrow.id=\(queued.id)")
        XCTAssertEqual(containers.count, 0)
        let left = await app.manager.liveRunCount
        XCTAssertEqual(left, 0, "every run ended")
        let kept = try await app.record(running.id).state
        XCTAssertEqual(kept, .running, "not marked failed by the shutdown")
    }

    func testSIGTERMEndsTheServerWhileABurrowRuns() async throws {
        _ = try await PodmanTestEnvironment.client()
        let repo = try await BurrowTestApp.makeRepo()
        let state = try TemporaryDirectory.make("burrow-sigterm")
        FileSystem.setMode(state, 0o711)
        let config = """
            {"listen": "127.0.0.1:0", "stateDir": "\(state)/state", "podmanSocket": "\(PodmanTestEnvironment.socket!)",
             "image": "\(PodmanTestEnvironment.image)", "network": "none", "caches": [], "repos": [{"name": "demo", "path": "\(repo)"}]}
            """
        try FileSystem.writeAtomically(Array(config.utf8), to: state + "/burrow.json")
        let (process, port) = try RestartTests.startBurrow(config: state + "/burrow.json", log: state + "/serve.log")
        let client = try await RawClient(port: port)
        let body = #"{"repo":"demo","task":"long SLEEP=30"}"#
        try await client.send("POST /api/burrows HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAuthorization: Bearer restart-token\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        let created = try await client.response()
        client.close()
        XCTAssertEqual(created.status, 201, created.text)
        let record = try JSONDecoder().decode(BurrowRecord.self, from: Data(created.body))
        addTeardownBlock {
            let podman = try? await PodmanTestEnvironment.client()
            for container in (try? await podman?.listContainers(label: "io.burrow.id=\(record.id)")) ?? [] { try? await podman?.remove(container.id) }
            try? await podman?.removeVolume(record.workspaceVolume, force: true)
            try? await podman?.removeVolume(record.configVolume, force: true)
        }
        try await withTimeout(30) {
            while !((try? String(contentsOfFile: "\(state)/state/burrows/\(record.id)/record.json", encoding: .utf8)) ?? "").contains("\"state\":\"running\"") {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        let started = Date()
        process.terminate()
        process.waitUntilExit()
        XCTAssertLessThan(Date().timeIntervalSince(started), 10, "SIGTERM ends the server promptly")
        XCTAssertEqual(process.terminationStatus, 0, "a clean exit")
        let log = (try? String(contentsOfFile: state + "/serve.log", encoding: .utf8)) ?? ""
        XCTAssertTrue(log.contains("stopped"), log)
    }
}
