@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman
import Glibc
import XCTest

/// A burst of calls to Podman is queued at the client, not fired at once: a stand-in Podman that
/// answers slowly never sees more than the gate's limit at a time, and every call is answered.
final class PodmanGateTests: XCTestCase {
    func testABurstOfCallsIsBoundedAndAllAnswered() async throws {
        let busy = Locked((now: 0, most: 0, answered: 0))
        let podman = try StandInPodman { _ in
            busy.withLock { $0.now += 1; $0.most = max($0.most, $0.now) }
            try? await Task.sleep(for: .milliseconds(40))
            busy.withLock { $0.now -= 1; $0.answered += 1 }
            return .init()
        }
        defer { podman.close() }
        let client = podman.client
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<40 { group.addTask { try await client.ping() } }
            try await group.waitForAll()
        }
        let seen = busy.withLock { $0 }
        XCTAssertEqual(seen.answered, 40, "every call reached the stand-in and was answered")
        XCTAssertGreaterThan(seen.most, 1, "calls do run side by side")
        XCTAssertLessThanOrEqual(seen.most, 8, "at most the gate's limit in flight at once (\(seen.most))")
    }

    /// A call waiting for a place that is cancelled leaves the queue; the places are all given back.
    func testAWaiterThatIsCancelledLeavesTheQueue() async throws {
        let gate = PodmanGate(limit: 1)
        try await gate.enter()
        let waiter = Task { try await gate.enter() }
        try await Task.sleep(for: .milliseconds(50))
        XCTAssertEqual(gate.load.waiting, 1)
        waiter.cancel()
        do { try await waiter.value; XCTFail("a cancelled waiter got a place") } catch is CancellationError {}
        XCTAssertEqual(gate.load.waiting, 0)
        gate.leave()
        XCTAssertEqual(gate.load.inFlight, 0)
        try await gate.enter()
        gate.leave()
    }
}
