/// Every burrow's run is a child of one task group (the shape of swift-service-lifecycle's
/// `ServiceGroup`): nothing the lifecycle starts runs unowned. Shutting down closes the door first
/// (a run offered afterwards is refused), then cancels every child and awaits it.
final class RunSupervisor: Sendable {
    typealias Job = @Sendable () async -> Void

    private let offers: AsyncStream<Job>.Continuation
    private let group: Task<Void, Never>

    init() {
        let (jobs, offers) = AsyncStream<Job>.makeStream()
        self.offers = offers
        // The group's own task, awaited by `shutdown()`.
        group = Task {
            await withDiscardingTaskGroup { group in
                for await job in jobs { group.addTask { await job() } }
            }
        }
    }

    /// Starts `job` as a child; false once shutdown began (the job never runs).
    func start(_ job: @escaping Job) -> Bool {
        if case .enqueued = offers.yield(job) { return true }
        return false
    }

    /// Refuses new runs, cancels the running ones and returns when every one has ended. A job
    /// offered just before is dropped or starts cancelled: either way it ends before this returns.
    func shutdown() async {
        offers.finish()
        group.cancel()
        await group.value
    }
}
