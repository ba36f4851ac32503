@testable import BurrowSystem
import Dispatch
import Glibc
import XCTest

/// The event loop as a task executor: tasks that prefer it run on its one thread, and a task woken
/// from another thread while the loop sleeps in epoll_wait runs at once, not at the next socket event.
final class EventLoopExecutorTests: XCTestCase {
    func testTasksThatPreferTheLoopRunOnItsThreadAndWakeItFromElsewhere() async throws {
        let loop = try EventLoop()
        let threads = Locked<Set<UInt>>([])
        let started = Monotonic.now()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<20 {
                group.addTask(executorPreference: loop) {
                    threads.withLock { _ = $0.insert(UInt(pthread_self())) }
                    // Resumed from a Dispatch thread while the loop has nothing else to do.
                    await withCheckedContinuation { continuation in
                        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(20)) { continuation.resume() }
                    }
                    threads.withLock { _ = $0.insert(UInt(pthread_self())) }
                }
            }
            try await group.waitForAll()
        }
        XCTAssertEqual(threads.withLock { $0.count }, 1, "every job ran on the loop's thread")
        XCTAssertLessThan(Double(Monotonic.now() - started) / 1e9, 2, "wake-ups from other threads are not lost while the loop sleeps")
    }
}
