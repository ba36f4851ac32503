import BurrowSystem

/// Owns, per burrow, the task that starts its turn's way-home helper while the agent works
/// (`BurrowManager+HomeHelper`). The turn's end takes it: a start under way is awaited (the helper is
/// then used), one still waiting for its moment is called off.
/// At most `limit` at once (each is a container beside its agent's, and Podman's own limits come
/// first: 32 burrows at once would double its containers); past it a way home makes its own helper.
final class HomeHelpers<Started: Sendable>: Sendable {
    private let tasks = Locked<[String: Task<Started?, Never>]>([:])
    let limit: Int

    init(limit: Int = 8) { self.limit = limit }

    /// Whether `prepare` would start nothing for `id`: one is there for its turn, or the limit is reached.
    func isFull(for id: String) -> Bool { tasks.withLock { $0[id] != nil || $0.count >= limit } }

    /// Whether one was started for `id`'s turn (and not yet taken).
    func isPrepared(_ id: String) -> Bool { tasks.withLock { $0[id] != nil } }

    /// Starts `body` for `id` unless one was started for its turn or the limit is reached; `body`
    /// gives the helper that waits (nil: no helper is up).
    func prepare(_ id: String, _ body: @escaping @Sendable () async -> Started?) {
        tasks.withLock { tasks in
            guard tasks[id] == nil, tasks.count < limit else { return }
            tasks[id] = Task { await body() }
        }
    }

    /// `id`'s helper, when one was started (it must then be used or removed by the caller).
    func take(_ id: String) async -> Started? {
        guard let task = tasks.withLock({ $0.removeValue(forKey: id) }) else { return nil }
        task.cancel()
        return await task.value
    }

    /// Shutting down: every task ends (a helper started stays in Podman; the next way home replaces it).
    func stopAll() async {
        let all = tasks.withLock { tasks in
            defer { tasks.removeAll() }
            return Array(tasks.values)
        }
        for task in all { task.cancel() }
        for task in all { _ = await task.value }
    }
}
