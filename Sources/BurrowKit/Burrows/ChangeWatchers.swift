import BurrowSystem

/// Owns the task that keeps each running burrow's live changes current: one per burrow, replaced
/// when a turn starts, cancelled and awaited when it ends or Burrow shuts down.
final class ChangeWatchers: Sendable {
    private let tasks = Locked<[String: Task<Void, Never>]>([:])
    /// The shortest time between two counts; a count that takes long waits three times as long.
    let interval: Locked<Duration>

    init(interval: Duration = .seconds(5)) {
        self.interval = Locked(interval)
    }

    var currentInterval: Duration { interval.withLock { $0 } }

    func start(_ id: String, _ body: @escaping @Sendable () async -> Void) {
        let task = Task { await body() }
        let previous = tasks.withLock { tasks in
            defer { tasks[id] = task }
            return tasks[id]
        }
        previous?.cancel()
    }

    func stop(_ id: String) async {
        let task = tasks.withLock { $0.removeValue(forKey: id) }
        task?.cancel()
        await task?.value
    }

    func stopAll() async {
        let all = tasks.withLock { tasks in
            defer { tasks.removeAll() }
            return Array(tasks.values)
        }
        for task in all { task.cancel() }
        for task in all { await task.value }
    }
}
