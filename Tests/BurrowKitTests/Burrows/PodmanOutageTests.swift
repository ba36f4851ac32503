@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import Foundation
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// The Podman service stopped and started again while a burrow runs (the container keeps running
/// under conmon): Burrow reports it, then follows again and loses nothing.
final class PodmanOutageTests: XCTestCase {
    func testABurrowSurvivesAPodmanServiceRestart() async throws {
        let app = try await BurrowTestApp()
        let record = try await app.launch("outage LINES=400 RATE=100 TEXT=outage")
        // Let it stream a little, then stop the service under it.
        try await withTimeout(30) {
            while try await app.manager.events(record.id).lastSequence < 30 { try await Task.sleep(for: .milliseconds(50)) }
        }
        let root = #filePath.components(separatedBy: "/Tests/")[0]
        let user = FileSystem.environment("BURROW_TEST_PODMAN_USER") ?? "burrowtest"
        _ = try await Subprocess.run(["pkill", "-u", user, "-f", "podman system service"])
        try await Task.sleep(for: .seconds(1))
        let down = (try? await app.manager.podman.ping()) == nil
        XCTAssertTrue(down, "the service is away")
        // Meanwhile the history is still served.
        let history = try await app.server.request("GET", "/api/burrows/\(record.id)/history")
        XCTAssertEqual(history.status, 200)
        XCTAssertGreaterThanOrEqual(history.text.split(separator: "\n").count, 30)
        try await Task.sleep(for: .seconds(1))
        try await Subprocess.check(["bash", root + "/scripts/test-env.sh"])
        let events = try await app.readStream(record.id)
        let numbered = events.filter { $0.kind == "agent" }.compactMap { event -> Int? in
            guard let range = event.data.range(of: "\"text\":\"line ") else { return nil }
            return Int(event.data[range.upperBound...].prefix { $0.isNumber })
        }
        XCTAssertEqual(numbered.count, 400, "every line once")
        XCTAssertEqual(Set(numbered).count, 400, "no line twice")
        XCTAssertEqual(events.map(\.id), Array(1...events.count))
        let finished = try await app.finished(record.id)
        XCTAssertEqual(finished.state, .succeeded, finished.error ?? "")
        XCTAssertNotNil(finished.branch, "the work came home")
        await app.cleanUp()
    }
}

/// A container killed or removed behind Burrow's back: the burrow fails, saying why.
final class OutsideInterferenceTests: XCTestCase {
    func waitRunning(_ app: BurrowTestApp, _ id: String) async throws {
        try await withTimeout(30) {
            while try await app.manager.events(id).lastSequence < 8 { try await Task.sleep(for: .milliseconds(50)) }
        }
    }

    func testKilledAndRemovedContainersEndTheirBurrowsAsFailedWithTheReason() async throws {
        let app = try await BurrowTestApp()
        let killed = try await app.launch("to be killed WRITE_CACHE=/workspace/KILLED.txt SLEEP=30")
        let removed = try await app.launch("to be removed SLEEP=30")
        try await waitRunning(app, killed.id)
        try await waitRunning(app, removed.id)
        try await Task.sleep(for: .seconds(1))  // the killed agent has written its file by now
        try await app.manager.podman.kill(killed.container)
        try await app.manager.podman.remove(removed.container, force: true)
        let killedEnd = try await app.finished(killed.id)
        XCTAssertEqual(killedEnd.state, .failed)
        XCTAssertEqual(killedEnd.exitCode, 137)
        XCTAssertTrue(killedEnd.error?.contains("signal 9") ?? false, killedEnd.error ?? "no error")
        XCTAssertNotNil(killedEnd.branch, "a killed container's workspace still comes home")
        let removedEnd = try await app.finished(removed.id)
        XCTAssertEqual(removedEnd.state, .failed)
        XCTAssertTrue(removedEnd.error?.contains("removed outside Burrow") ?? false, removedEnd.error ?? "no error")
        let events = try await app.readStream(removed.id)
        XCTAssertTrue(events.contains { $0.kind == "agent" && $0.data.contains("\"subtype\":\"init\"") }, "the output up to then is kept")
        await app.cleanUp()
    }
}
