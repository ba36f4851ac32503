import BurrowSystem

/// Owns the one task that measures running burrows' disk use (`BurrowManager.measureDisk`): started
/// with the first burrow Burrow follows, cancelled and awaited on shutdown. Keeps, per burrow, the
/// sizes its shared caches had when it was first measured: what they grew by since counts against it.
final class DiskBudgetWatch: Sendable {
    private let task = Locked<Task<Void, Never>?>(nil)
    private let cacheBaselines = Locked<[String: [String: Int64]]>([:])
    /// The reason each burrow was last not measured, until it is again.
    private let failures = Locked<[String: String]>([:])
    /// Failed readings in a row blamed on each burrow, and its own volumes' mount points.
    private let strikes = Locked<[String: Int]>([:])
    private let volumePoints = Locked<[String: [String]]>([:])
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

    /// How much the caches (`sizes` now) grew since burrow `id` was first measured (shrinking counts 0).
    /// Other burrows writing the same cache meanwhile count too: the budget errs on the host's side.
    func cacheGrowth(_ id: String, sizes: [String: Int64]) -> Int64 {
        cacheBaselines.withLock { baselines in
            var baseline = baselines[id] ?? [:]
            for (name, size) in sizes where baseline[name] == nil { baseline[name] = size }
            baselines[id] = baseline
            return sizes.reduce(Int64(0)) { $0 + max(0, $1.value - (baseline[$1.key] ?? $1.value)) }
        }
    }

    /// Forgets the baselines of burrows that no longer run (a next turn starts from its own).
    func forget(except running: Set<String>) {
        cacheBaselines.withLock { baselines in baselines = baselines.filter { running.contains($0.key) } }
        failures.withLock { failures in failures = failures.filter { running.contains($0.key) } }
        strikes.withLock { strikes in strikes = strikes.filter { running.contains($0.key) } }
        volumePoints.withLock { points in points = points.filter { running.contains($0.key) } }
    }

    /// Notes that burrow `id` could not be measured; true when this is news (a first failure, or a
    /// different reason), so each failure is told once, not every round.
    func unmeasured(_ id: String, reason: String) -> Bool {
        failures.withLock { failures in
            defer { failures[id] = reason }
            return failures[id] != reason
        }
    }

    /// Burrow `id` was measured again: a later failure is news, its strikes start over.
    func measured(_ id: String) {
        _ = failures.withLock { $0.removeValue(forKey: id) }
        _ = strikes.withLock { $0.removeValue(forKey: id) }
    }

    /// Readings in a row that failed on a path in one burrow's volumes before it is stopped
    /// (each reading already tried three times).
    static let strikesToStop = 6

    /// One more failed reading blamed on burrow `id`; how many in a row now.
    func strike(_ id: String) -> Int {
        strikes.withLock { strikes in
            strikes[id, default: 0] += 1
            return strikes[id]!
        }
    }

    func mountpoints(_ id: String) -> [String]? { volumePoints.withLock { $0[id] } }
    func remember(_ id: String, mountpoints: [String]) { volumePoints.withLock { $0[id] = mountpoints } }
}
