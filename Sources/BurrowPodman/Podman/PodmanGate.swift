import FoundationEssentials
import BurrowSystem

/// Bounds the short calls in flight to one Podman service and remembers since when it has not
/// answered. Podman 4.3's service stops answering altogether under a few dozen calls at once (32
/// launches did it): a burst waits here, in order, instead of being fired at once. Long-lived
/// streams (logs, attach, events, wait) are not counted, so they never starve the short calls.
public final class PodmanGate: Sendable {
    private struct State {
        var inFlight = 0
        var nextKey: UInt64 = 0
        var waiting: [(key: UInt64, continuation: UnsafeContinuation<Void, any Error>)] = []
        /// Wall-clock seconds of the first call left unanswered since the last answer.
        var silentSince: Double?
    }

    public static let defaultLimit = 8
    public let limit: Int
    private let state = Locked(State())

    public init(limit: Int = PodmanGate.defaultLimit) { self.limit = max(1, limit) }

    /// Waits for a place (first come, first served); throws `CancellationError` if cancelled meanwhile.
    func enter() async throws {
        let key = state.withLock { state in
            state.nextKey &+= 1
            return state.nextKey
        }
        try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Void, any Error>) in
                let outcome: Result<Void, any Error>? = state.withLock { state in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if state.inFlight < limit, state.waiting.isEmpty {
                        state.inFlight += 1
                        return .success(())
                    }
                    state.waiting.append((key, continuation))
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let cancelled = state.withLock { state -> UnsafeContinuation<Void, any Error>? in
                guard let index = state.waiting.firstIndex(where: { $0.key == key }) else { return nil }
                return state.waiting.remove(at: index).continuation
            }
            cancelled?.resume(throwing: CancellationError())
        }
    }

    /// Gives the place back: straight to the first waiter, if any.
    func leave() {
        let next = state.withLock { state -> UnsafeContinuation<Void, any Error>? in
            if !state.waiting.isEmpty { return state.waiting.removeFirst().continuation }
            state.inFlight -= 1
            return nil
        }
        next?.resume()
    }

    /// Podman answered something: it is not stalled.
    public func answered() { state.withLock { $0.silentSince = nil } }

    /// A call got no answer within its deadline.
    public func unanswered() { state.withLock { $0.silentSince = $0.silentSince ?? Date().timeIntervalSince1970 } }

    /// Since when Podman has not answered (nil: its last call was answered).
    public var notAnsweringSince: Double? { state.withLock { $0.silentSince } }

    /// Calls in flight and calls waiting for a place (for health and benchmarks).
    public var load: (inFlight: Int, waiting: Int) { state.withLock { ($0.inFlight, $0.waiting.count) } }

    /// "HH:MM:SS UTC", as the messages about a stall show it.
    public static func clockTime(_ seconds: Double) -> String {
        let day = Int(seconds) % 86_400
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(two(day / 3600)):\(two(day / 60 % 60)):\(two(day % 60)) UTC"
    }
}
