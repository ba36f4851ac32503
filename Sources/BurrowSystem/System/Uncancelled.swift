/// Runs `body` in a task that the caller's cancellation does not reach, and awaits it: cleanup that
/// must happen even when its caller was cancelled (swift-subprocess's `withUncancelledTask`), where a
/// `try?` in the cancelled task would fail at once and leave the thing behind.
public func withUncancelledTask<T: Sendable>(_ body: @escaping @Sendable () async -> T) async -> T {
    await Task { await body() }.value
}
