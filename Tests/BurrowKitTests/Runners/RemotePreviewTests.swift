@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowKit
@testable import BurrowWeb
import Foundation
import XCTest

/// Previews of a burrow on a remote runner: the relay runs on the runner, in the burrow's network
/// namespace, started and reached over the runner's SSH connection. The agent is the attacker (it
/// serves on a port and holds another that never answers); another user of the runner tries the
/// relay's socket there.
final class RemotePreviewTests: XCTestCase {
    func testARunnersBurrowIsPreviewedThroughARelayOnTheRunnerThatNoOtherUserThereCanUse() async throws {
        let marker = "served-on-the-runner-\(UInt32.random(in: 0...UInt32.max))"
        let app = try await RunnerTestEnvironment.app { config in
            config.agentCommand = ["sh", "-c"]
            config.taskInput = .argument
        }
        defer { Task { await RunnerTestEnvironment.cleanUp(app) } }
        let launched = try await app.launch(PreviewServers.busyboxTask(marker: marker))
        let listed = try await app.waitForPreviews(launched.id, [8000, 8002], within: 120)
        XCTAssertFalse(listed.contains(3128), "Burrow's own listener is no preview: \(listed)")
        let ranOn = try await app.manager.record(launched.id).runner
        XCTAssertEqual(ranOn, "far")

        let visitor = PreviewVisitor(app: app, id: launched.id, port: 8000)
        let cookie = try await visitor.signIn()
        let page = try await visitor.request("/", cookie: cookie)
        XCTAssertEqual(page.status, 200, page.text)
        XCTAssertTrue(page.text.contains(marker), page.text)
        let again = try await visitor.request("/", cookie: cookie)
        XCTAssertTrue(again.text.contains(marker), "a second connection through the same relay: \(again.text)")
        let closed = try await PreviewVisitor(app: app, id: launched.id, port: 8003).request("/", cookie: nil)
        XCTAssertEqual(closed.status, 401, "no session, no relay: \(closed.text)")

        // Another user of the runner: the relay's socket there is the SSH user's alone.
        let remote = try XCTUnwrap(app.manager.runners.first { $0.name == "far" }?.remote)
        let previews = try await remote.directory() + "/previews"
        let socket = previews + "/" + launched.id + ".sock"
        let status = try XCTUnwrap(FileSystem.status(socket), "the relay's socket is on the runner")
        XCTAssertTrue(status.isSocket)
        XCTAssertEqual(status.mode & 0o077, 0, String(status.mode, radix: 8))
        let folder = try XCTUnwrap(FileSystem.status(previews))
        XCTAssertEqual(folder.mode & 0o077, 0, String(folder.mode, radix: 8))
        let tried = try await Subprocess.run(["runuser", "-u", "nobody", "--", "curl", "-sS", "-m", "5", "--unix-socket", socket, "http://x/"])
        XCTAssertEqual(tried.status, 7, "nobody could not connect: \(tried.stdout) \(tried.stderr)")
        XCTAssertTrue(tried.stderr.contains("Permission denied") || tried.stderr.contains("Couldn't connect"), tried.stderr)

        _ = try await app.manager.stop(launched.id)
        _ = try await app.finished(launched.id, within: 60)
        let after = try await visitor.request("/", cookie: cookie)
        XCTAssertEqual(after.status, 503, "a stopped burrow's preview says so: \(after.text)")
        try await withTimeout(20) { while FileSystem.exists(socket) { try await Task.sleep(for: .milliseconds(200)) } }
        await RunnerTestEnvironment.cleanUp(app)
    }

    /// A dev server's hot-reload socket through a runner: a WebSocket that stays open, idle in between
    /// (the relay's child on the runner holds the connection as long as both ends keep it).
    func testAWebSocketEchoesThroughARunnersRelayAcrossAnIdlePause() async throws {
        let image = try await RealAgentEnvironment.requireImage()
        let app = try await RunnerTestEnvironment.app { config in
            config.image = image
            config.caches = []
            config.agentCommand = ["sh", "-c"]
            config.taskInput = .argument
        }
        defer { Task { await RunnerTestEnvironment.cleanUp(app) } }
        let launched = try await app.launch(PreviewServers.task(marker: "ws"))
        _ = try await app.waitForPreviews(launched.id, [8001], within: 120)
        let echo = PreviewVisitor(app: app, id: launched.id, port: 8001)
        try await echo.echoOverWebSocket(["hello", "after a pause"], pause: .seconds(3))
        await RunnerTestEnvironment.cleanUp(app)
    }
}
