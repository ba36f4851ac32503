import BurrowSystem

/// Owns the one task that measures running burrows' disk use (`BurrowManager.measureDisk`): started
/// with the first burrow Burrow follows, cancelled and awaited on shutdown.
final class DiskBudgetWatch: Sendable {
    private let task = Locked<Task<Void, Never>?>(nil)
    /// Between two measurements. The worst case a burrow writes past its budget is its write rate
    /// times this plus one measurement's duration (README, limits.disk).
    let interval: Locked<Duration>

    init(interval: Duration = .seconds(5)) {
        self.interval = Locked(interval)
    }

    var currentInterval: Duration { interval.withLock { $0 } }

    /// Starts `body` unless it already runs.
    func startOnce(_ body: @escaping @Sendable () async -> Void) {
        task.withLock { task in
            if task == nil { task = Task { await body() } }
        }
    }

    func stop() async {
        let running = task.withLock { task in
            defer { task = nil }
            return task
        }
        running?.cancel()
        await running?.value
    }
}
