@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import Foundation
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// Requests that arrive while the lifecycle is between two awaits: they must take effect, never be
/// lost or act on something half gone.
final class LifecycleRaceTests: XCTestCase {
    func testAStopThatLandsWhileTheContainerStartsStopsIt() async throws {
        let app = try await BurrowTestApp()
        addTeardownBlock { await app.cleanUp() }
        for _ in 0..<3 {
            let record = try await app.launch("long job SLEEP=120")
            // Stop as soon as the container exists: the preparation is then attaching and starting it.
            try await withTimeout(30) {
                while (try? await app.manager.podman.inspectContainer(record.container)) == nil {
                    try await Task.sleep(for: .milliseconds(5))
                }
            }
            _ = try await app.manager.stop(record.id)
            let finished = try await app.finished(record.id, within: 40)
            XCTAssertEqual(finished.state, .stopped)
            XCTAssertLessThan((finished.finishedAt ?? .infinity) - finished.createdAt, 35, "stopped, not left to run its 120 s")
        }
    }

    func testAFollowUpDuringTeardownNeverStartsATurnOnRemovedVolumes() async throws {
        let app = try await BurrowTestApp()
        addTeardownBlock { await app.cleanUp() }
        for _ in 0..<3 {
            let record = try await app.launch("quick")
            _ = try await app.finished(record.id)
            let manager = app.manager
            async let down: Result<Void, any Error> = Result { try await manager.teardown(record.id, purge: false) }
            async let message: Result<BurrowRecord, any Error> = Result { try await manager.sendMessage(record.id, text: "more") }
            let (teardown, followUp) = await (down, message)
            switch (teardown, followUp) {
            case (.success, .failure(let error)):
                XCTAssertEqual((error as? BurrowError).map { if case .conflict = $0 { true } else { false } }, true, "\(error)")
            case (.failure(let error), .success):
                XCTAssertEqual((error as? BurrowError).map { if case .conflict = $0 { true } else { false } }, true, "\(error)")
                _ = try await app.finished(record.id, within: 60)
                try await manager.teardown(record.id, purge: false)
            default:
                XCTFail("exactly one of the two must win: \(teardown), \(followUp)")
            }
            let after = try await manager.record(record.id)
            XCTAssertTrue(after.tornDown)
            let containers = try await manager.podman.listContainers(label: "io.burrow.id=\(record.id)")
            XCTAssertEqual(containers.count, 0, "no turn container outlives the teardown")
            let workspace = try await manager.podman.volumeExists(after.workspaceVolume)
            XCTAssertFalse(workspace)
        }
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
