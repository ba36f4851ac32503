@testable import BurrowKit
@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman
import Synchronization
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// A task waiting on a socket ends with `CancellationError` when cancelled, whether it was
/// cancelled while parked or before it started to wait.
final class ReadinessCancellationTests: XCTestCase {
    func pair() async throws -> (listener: AsyncSocket, client: AsyncSocket, server: AsyncSocket) {
        let listener = try AsyncSocket.listening(on: .ipv4("127.0.0.1", port: 0))
        async let accepted = listener.accept()
        let client = try await AsyncSocket.connect(to: listener.localAddress!)
        return (listener, client, try await accepted)
    }

    struct Hung: Error {}

    /// What `task` ended with, waiting up to `seconds`; then its socket is shut down, and a task that
    /// still does not end is reported as `Hung` (and left behind) so the test fails rather than hangs.
    func outcome(of task: Task<Void, any Error>, orShutDown socket: AsyncSocket, after seconds: Double) async -> (any Error)? {
        let result = Mutex<Result<Void, any Error>?>(nil)
        let watcher = Task.detached {
            do {
                try await task.value
                result.withLock { $0 = .success(()) }
            } catch {
                result.withLock { $0 = .failure(error) }
            }
        }
        _ = watcher
        for step in 0..<Int((seconds + 1) * 100) {
            if let ended = result.withLock({ $0 }) {
                if case .failure(let error) = ended { return error }
                return nil
            }
            if step == Int(seconds * 100) { socket.shutdown() }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return Hung()
    }

    func testAParkedReadEndsWhenItsTaskIsCancelled() async throws {
        let (listener, client, server) = try await pair()
        defer { listener.close(); client.close(); server.close() }
        let parked = Atomic<Bool>(false)
        let task = Task {
            var buffer: [UInt8] = []
            parked.store(true, ordering: .relaxed)
            _ = try await client.read(into: &buffer)
        }
        while !parked.load(ordering: .relaxed) { try await Task.sleep(for: .milliseconds(5)) }
        try await Task.sleep(for: .milliseconds(100))
        task.cancel()
        let error = await outcome(of: task, orShutDown: client, after: 2)
        XCTAssertTrue(error is CancellationError, "a parked read ignored cancellation: \(String(describing: error))")
    }

    func testAReadStartedByACancelledTaskDoesNotWait() async throws {
        let (listener, client, server) = try await pair()
        defer { listener.close(); client.close(); server.close() }
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            var buffer: [UInt8] = []
            _ = try await client.read(into: &buffer)
        }
        let error = await outcome(of: task, orShutDown: client, after: 2)
        XCTAssertTrue(error is CancellationError, "a cancelled task parked on a read: \(String(describing: error))")
    }

    func testAParkedWriteEndsWhenItsTaskIsCancelled() async throws {
        let (listener, client, server) = try await pair()
        defer { listener.close(); client.close(); server.close() }
        let task = Task {
            // The peer never reads: the write parks once the socket buffers are full.
            try await client.write([UInt8](repeating: 0x78, count: 64 << 20))
        }
        try await Task.sleep(for: .milliseconds(300))
        task.cancel()
        let error = await outcome(of: task, orShutDown: client, after: 2)
        XCTAssertTrue(error is CancellationError, "a parked write ignored cancellation: \(String(describing: error))")
    }
}
