/// Runs `body` for at most `limit`: its result, or nil once the limit passed (`body` is then
/// cancelled). The one place a time-out is a sleep: everything else waits for a signal.
public func withTimeLimit<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T? {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        return try await group.next() ?? nil
    }
}

extension Wakeup {
    /// `wait(past:)` for at most `limit`; false when the limit passed first.
    @discardableResult
    public func wait(past seen: UInt64, for limit: Duration) async throws -> Bool {
        try await withTimeLimit(limit) { try await self.wait(past: seen) } != nil
    }
}
