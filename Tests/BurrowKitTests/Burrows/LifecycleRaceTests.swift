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

    /// A stop that lands just after the run took a queued burrow (before its preparation's first step)
    /// ended the burrow at once while the preparation went on: a teardown then removed the volumes the
    /// preparation was making, and Podman kept one without its folder (seen in CI: every later disk
    /// watch failed). Stops land at spread-out moments after the launch.
    func testAStopJustAfterLaunchThenATeardownLeavesNothingInPodman() async throws {
        let app = try await BurrowTestApp(maxConcurrent: 4)
        addTeardownBlock { await app.cleanUp() }
        let manager = app.manager
        var prepared = 0, endedAtOnce = 0
        let delays = (0..<24).map { $0 * 150 }
        for delay in delays {
            let record = try await manager.launch(repo: "demo", task: "quick", gpu: nil)
            if delay > 0 { try await Task.sleep(for: .microseconds(delay)) }
            let stopped = try await manager.stop(record.id)
            if stopped.state.isFinal {
                endedAtOnce += 1
                try await manager.teardown(record.id, purge: false)
            }
            let finished = try await app.finished(record.id, within: 60)
            if !finished.tornDown { try await manager.teardown(record.id, purge: false) }
            if finished.baseCommit != nil || finished.user != nil { prepared += 1 }
            try await withTimeout(60) { while await manager.liveRunCount > 0 { try await Task.sleep(for: .milliseconds(50)) } }
            let containers = try await manager.podman.listContainers(label: "io.burrow.id=\(record.id)")
            XCTAssertEqual(containers.map { $0.names }, [], "stop after \(delay) µs: nothing of the burrow outlives its teardown")
            for volume in finished.ownVolumes {
                let left = try await manager.podman.volumeExists(volume)
                XCTAssertFalse(left, "stop after \(delay) µs: \(volume) outlives the teardown")
            }
        }
        print("stop just after launch: \(endedAtOnce) of \(delays.count) ended at once, \(prepared) had begun preparing")
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

/// The three races of issue #23, each forced into the window it needs by the stand-in agent's timing
/// or by the user's own git waiting on a ref lock.
final class LifecycleOwnershipTests: XCTestCase {
    /// A follow-up started from the queue when its turn ends keeps its slot: the old turn's end must
    /// not drop the new turn's handle (then `maxConcurrent` is exceeded and shutdown misses the turn).
    /// Two slots, so that the follow-up starts at once, from the ending turn itself.
    func testAFollowUpStartedWhenATurnEndsKeepsItsSlot() async throws {
        let app = try await BurrowTestApp(maxConcurrent: 2)
        addTeardownBlock { await app.cleanUp() }
        let first = try await app.launch("first SLEEP=2")
        let queued = try await app.manager.sendMessage(first.id, text: "second SLEEP=40")
        XCTAssertEqual(queued.queuedMessages, ["second SLEEP=40"], "the probe: the follow-up waits for the first turn")
        try await withTimeout(60) {
            while true {
                let record = try await app.record(first.id)
                if record.turn == 2, record.state == .running { return }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        let running = await app.manager.runnerStates().first?.running
        XCTAssertEqual(running, 1, "the follow-up's turn holds a slot")
        let holder = try await app.launch("holder SLEEP=40")
        let other = try await app.launch("other")
        // Any start would show within a moment: the scheduler decides when the launch queues it.
        for _ in 0..<20 {
            let state = try await app.record(other.id).state
            XCTAssertEqual(state, .queued, "a third burrow started while the follow-up and another hold both slots")
            if state != .queued { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        _ = try await app.manager.stop(first.id)
        _ = try await app.manager.stop(holder.id)
        let stopped = try await app.finished(first.id, within: 60)
        XCTAssertEqual(stopped.state, .stopped)
        let done = try await app.finished(other.id, within: 60)
        XCTAssertEqual(done.state, .succeeded, "the slot passes on once the follow-up ends")
    }

    /// Tearing down with the branch: a message that arrives while the user's branch is being deleted
    /// is refused, never a turn started on volumes about to be removed.
    func testAFollowUpWhileTheTeardownDeletesTheBranchIsRefused() async throws {
        let app = try await BurrowTestApp()
        addTeardownBlock { await app.cleanUp() }
        let record = try await app.launch("quick")
        let done = try await app.finished(record.id)
        let branch = try XCTUnwrap(done.branch, done.error ?? "no branch")
        // The user's git waits for the branch's ref lock (their own core.filesRefLockTimeout) until the
        // test lets it go: the teardown is held inside the deletion.
        try await Subprocess.check(["git", "-C", app.repoPath, "config", "core.filesRefLockTimeout", "60000"])
        let lock = app.repoPath + "/.git/refs/heads/" + branch + ".lock"
        try FileSystem.writeAtomically([], to: lock)
        defer { FileSystem.remove(lock) }
        let manager = app.manager
        let down = Task { try await manager.teardown(record.id, purge: false, deleteBranch: true) }
        try await withTimeout(30) {
            while !Self.gitIsDeleting(branch) { try await Task.sleep(for: .milliseconds(20)) }
        }
        do {
            _ = try await manager.sendMessage(record.id, text: "more SLEEP=5")
            XCTFail("a follow-up was accepted while the teardown was deleting the branch")
        } catch let error as BurrowError {
            guard case .conflict = error else { return XCTFail("\(error)") }
        }
        FileSystem.remove(lock)
        try await withTimeout(60) { try await down.value }
        let after = try await manager.record(record.id)
        XCTAssertTrue(after.tornDown)
        XCTAssertEqual(after.turn, 1, "no second turn")
        XCTAssertEqual(after.deletedBranch, branch)
        let containers = try await manager.podman.listContainers(label: "io.burrow.id=\(record.id)")
        XCTAssertEqual(containers.count, 0, "no turn container outlives the teardown")
        let workspace = try await manager.podman.volumeExists(after.workspaceVolume)
        XCTAssertFalse(workspace)
    }

    /// Whether a `git branch -D <branch>` runs on this machine (the teardown is inside it).
    static func gitIsDeleting(_ branch: String) -> Bool {
        for pid in FileSystem.listDirectory("/proc") where pid.allSatisfy(\.isNumber) {
            guard let bytes = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline")) else { continue }
            let arguments = bytes.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if arguments.contains("-D"), arguments.contains(branch) { return true }
        }
        return false
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
