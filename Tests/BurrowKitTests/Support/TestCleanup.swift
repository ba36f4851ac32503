import Foundation
import XCTest

/// Cleans up after every test that made Podman things, when the test ends — passed, failed or thrown
/// out of — so a failure never leaks containers, volumes or images into the next test.
final class TestCleanup: NSObject, XCTestObservation, @unchecked Sendable {
    // @unchecked: `pending` is only touched under its lock.
    static let shared = TestCleanup()
    private static let registered: Void = { XCTestObservationCenter.shared.addTestObserver(shared) }()
    private let lock = NSLock()
    private var pending: [@Sendable () async -> Void] = []

    func add(_ work: @escaping @Sendable () async -> Void) {
        _ = Self.registered
        lock.lock()
        pending.append(work)
        lock.unlock()
    }

    func testCaseDidFinish(_ testCase: XCTestCase) {
        lock.lock()
        let work = pending
        pending = []
        lock.unlock()
        guard !work.isEmpty else { return }
        let done = DispatchSemaphore(value: 0)
        Task {
            for step in work.reversed() { await step() }
            done.signal()
        }
        done.wait()
    }
}
