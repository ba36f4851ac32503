/// Tasks waiting for something to happen again (a run ended, a runner connected), woken by
/// continuation instead of polling. A waiter names the generation it last saw, so a wake between
/// its look at the condition and its wait is not slept through; it then looks again.
public final class Wakeup: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var nextKey: UInt64 = 0
        var waiters: [UInt64: UnsafeContinuation<Void, any Error>] = [:]
    }

    private let state = Locked(State())

    public init() {}

    /// What a waiter saw: pass it to `wait(past:)`.
    public var generation: UInt64 { state.withLock { $0.generation } }

    /// Wakes every waiter.
    public func wake() {
        let waiters = state.withLock { state in
            state.generation &+= 1
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once a wake after generation `seen` happened (at once if one already did); throws
    /// `CancellationError` when the task is cancelled.
    public func wait(past seen: UInt64) async throws {
        let key = state.withLock { state in
            state.nextKey &+= 1
            return state.nextKey
        }
        try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Void, any Error>) in
                let outcome: Result<Void, any Error>? = state.withLock { state in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if state.generation != seen { return .success(()) }
                    state.waiters[key] = continuation
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: key) }?.resume(throwing: CancellationError())
        }
    }
}
