import FoundationEssentials
import Synchronization
import BurrowSystem
import BurrowHTTP

/// Whether Podman answers, for `/api/health`. The route reads the last answer and never waits on
/// Podman: busy with a launch it takes seconds to answer, and a stuck one would never answer. One
/// refresher (`run`, owned by whoever serves) probes again when an answer older than `interval` is
/// read, so an idle Burrow does not keep Podman's service awake; a probe is cut off after `timeout`.
public final class PodmanProbe: Sendable {
    private struct State {
        var health = PodmanHealth(reachable: false, version: nil, error: "not checked yet: the first check is under way")
        var checkedAt: UInt64?
    }

    private let configured: String
    private let interval: UInt64
    private let timeout: Duration
    private let state = Locked(State())
    /// The serving client's gate, told what each probe finds (its stall is the one launches see).
    private let gate: PodmanGate?
    private let demand: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    public static let defaultTimeout = Duration.seconds(5)

    public init(configured: String, interval: Duration = .seconds(2), timeout: Duration = PodmanProbe.defaultTimeout, gate: PodmanGate? = nil) {
        self.configured = configured
        self.gate = gate
        self.interval = UInt64(max(0, interval.nanoseconds))
        self.timeout = timeout
        (demand, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// The last answer, at once; asks the refresher for a new one when it is stale.
    public func current() -> PodmanHealth {
        let (health, checkedAt) = state.withLock { ($0.health, $0.checkedAt) }
        guard let checkedAt else { return health }
        let age = Monotonic.now() - checkedAt
        if age >= interval { wake.yield() }
        var answer = health
        answer.checkedSecondsAgo = Int(age / 1_000_000_000)
        return answer
    }

    /// The refresher: one probe now, then one per stale read, until the task is cancelled.
    public func run() async {
        await refresh()
        for await _ in demand {
            let stale = state.withLock { $0.checkedAt.map { Monotonic.now() - $0 >= interval } ?? true }
            if stale { await refresh() }
        }
    }

    private func refresh() async {
        let configured = self.configured
        let health: PodmanHealth
        do {
            let version = try await withDeadline(timeout, operation: "Podman's version") {
                try await PodmanClient(socketPath: try PodmanSocket.locate(configured: configured)).version().version
            }
            health = .init(reachable: true, version: version, error: nil)
            gate?.answered()
        } catch is DeadlineExceeded {
            guard !Task.isCancelled else { return }
            // Accepted and never answered: stuck or swamped, since the first call left unanswered.
            let since = gate.map { $0.unanswered(); return $0.notAnsweringSince } ?? nil
            let stalled = since ?? state.withLock { $0.health.notAnsweringSince } ?? Date().timeIntervalSince1970
            health = .init(reachable: false, version: nil,
                           error: "Podman is not answering since \(PodmanGate.clockTime(stalled)): its version did not finish within \(timeout)",
                           notAnsweringSince: stalled)
        } catch {
            guard !Task.isCancelled else { return }
            health = .init(reachable: false, version: nil, error: "\(error)")
        }
        state.withLock { $0 = State(health: health, checkedAt: Monotonic.now()) }
    }
}

/// Whether Podman's service answered, and its version or why not.
public struct PodmanHealth: Codable, Sendable, Equatable {
    public var reachable: Bool
    public var version: String?
    public var error: String?
    /// How old the answer is (nil before the first one).
    public var checkedSecondsAgo: Int?
    /// Wall-clock seconds since which Podman accepts calls and does not answer them (nil: not stalled).
    public var notAnsweringSince: Double?

    public init(reachable: Bool, version: String?, error: String?, checkedSecondsAgo: Int? = nil, notAnsweringSince: Double? = nil) {
        self.reachable = reachable
        self.version = version
        self.error = error
        self.checkedSecondsAgo = checkedSecondsAgo
        self.notAnsweringSince = notAnsweringSince
    }
}
