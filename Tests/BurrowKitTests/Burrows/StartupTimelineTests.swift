@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import Foundation
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// Every burrow's record says where its start went: Burrow's steps in order with their durations,
/// then the agent's first line and the model endpoint's first answer byte, counted from its start.
final class StartupTimelineTests: XCTestCase {
    func testTheRecordShowsWhereTheStartWent() async throws {
        let upstream = try ModelStandIn()
        defer { Task { await upstream.stop() } }
        setenv("BURROW_TEST_METER_KEY", "sk-ant-api03-meter-key", 1)
        let app = try await BurrowTestApp { config in
            config.network = NetworkConfig(mode: .allowlist)
            config.network.allow = []
            config.credentials = CredentialsConfig(anthropic: .init(env: "BURROW_TEST_METER_KEY"), upstream: upstream.url)
            config.agentCommand = ["sh", "-c", "sleep 0.3; " + MeteringBudgetTests.script, "sh"]
            config.taskInput = .argument
            config.resumeCommand = ["sh", "-c", MeteringBudgetTests.script, "sh"]
        }
        let launched = try await app.launch("calls=1")
        let record = try await app.finished(launched.id)
        XCTAssertEqual(upstream.requests.count, 1, "the agent called the model once")
        let startup = try XCTUnwrap(record.startup, "the record has its start-up")
        XCTAssertEqual(startup.map(\.phase), ["queued", "idRange", "workspace", "container", "firstEvent", "firstModelByte"])
        XCTAssertTrue(startup.allSatisfy { $0.ms >= 0 }, "\(startup)")
        let ms = Dictionary(uniqueKeysWithValues: startup.map { ($0.phase, $0.ms) })
        XCTAssertGreaterThan(ms["workspace"] ?? 0, 0, "the repo crossing in took time")
        XCTAssertGreaterThanOrEqual(ms["firstEvent"] ?? 0, 150, "the agent slept 0.3 s before its first line (counted from when Podman said it started): \(startup)")
        XCTAssertGreaterThanOrEqual(ms["firstModelByte"] ?? 0, ms["firstEvent"] ?? .infinity, "the model was called after the first line: \(startup)")
        // Burrow's own steps fit between the launch and the container's start.
        let own = ["queued", "idRange", "workspace", "container"].compactMap { ms[$0] }.reduce(0, +)
        let wall = ((record.startedAt ?? 0) - record.createdAt) * 1000
        XCTAssertLessThanOrEqual(own, wall + 50, "\(startup) within \(wall) ms")

        // And where its end went: from the agent's output ending to the end event, each step once.
        let home = try XCTUnwrap(record.wayHome, "the record has its way home")
        XCTAssertEqual(home.map(\.phase), ["exit", "closing", "helper", "harvest", "fetch", "removal", "changes"])
        XCTAssertGreaterThan(home.first { $0.phase == "harvest" }?.ms ?? 0, 0, "the harvest in the sandbox took time: \(home)")
        let ended = ((record.finishedAt ?? 0) - (record.startedAt ?? 0)) * 1000
        XCTAssertLessThanOrEqual(home.map(\.ms).reduce(0, +), ended + 50, "\(home) within the turn's \(ended) ms")

        // A follow-up turn leaves the first start's timeline as it was.
        _ = try await app.server.request("POST", "/api/burrows/\(record.id)/messages", headers: ["Content-Type": "application/json"],
                                         body: #"{"text": "calls=0"}"#)
        let second = try await withTimeout(90) {
            while true {
                let current = try await app.manager.record(record.id)
                if current.turn == 2, current.state.isFinal, try await app.manager.events(record.id).ended { return current }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        XCTAssertEqual(second.startup, record.startup)
        XCTAssertEqual(second.wayHome?.map(\.phase), record.wayHome?.map(\.phase))
        XCTAssertNotEqual(second.wayHome, record.wayHome, "the second turn's end replaces the first's")
    }
}
