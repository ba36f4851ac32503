/// The operation did not finish in time.
public struct DeadlineExceeded: Error, CustomStringConvertible, Sendable {
    public let operation: String
    public let duration: Duration
    public var description: String { "\(operation) did not finish within \(duration)" }
}

/// Runs `body`, cancelling it when `duration` passes. Socket waits honour cancellation, so a stuck
/// peer cannot hold the caller past the deadline.
public func withDeadline<T: Sendable>(_ duration: Duration, operation: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try? await Task.sleep(for: duration)
            return nil
        }
        defer { group.cancelAll() }
        while let result = try await group.next() {
            if let value = result { return value }
            throw DeadlineExceeded(operation: operation, duration: duration)
        }
        throw DeadlineExceeded(operation: operation, duration: duration)
    }
}
