import BurrowSystem

/// The relays of the burrows whose previews someone looked at, and the ports each listens on. A
/// relay starts on first use (a listing or a connection) and ends with its turn's container: the
/// watcher that keeps the list current (an event when a port appears or goes) stops it then.
public actor PreviewHub {
    struct Live {
        let relay: PreviewRelay
        var ports: [ListeningPort]
        var listedAt: ContinuousClock.Instant
        var watcher: Task<Void, Never>?
        var published: [ListeningPort] = []
    }

    private var live: [String: Live] = [:]
    private var starting: [String: Task<PreviewRelay, any Error>] = [:]
    /// Burrow's own listener in every burrow (the forwarder's egress proxy): never a preview.
    static let excluded: Set<Int> = [3128]
    let pollInterval: Duration

    public init(pollInterval: Duration = .seconds(1)) {
        self.pollInterval = pollInterval
    }

    /// The relay for `container`, started once (concurrent callers wait for the same start); one for
    /// an earlier turn's container, or one that died, is replaced.
    func relay(_ id: String, container: String, start: @escaping @Sendable () async throws -> PreviewRelay) async throws -> PreviewRelay {
        if let current = live[id], current.relay.container == container, current.relay.isRunning { return current.relay }
        if let pending = starting[id] { return try await pending.value }
        let task = Task { try await start() }
        starting[id] = task
        defer { starting[id] = nil }
        await drop(id)
        let relay = try await task.value
        live[id] = Live(relay: relay, ports: [], listedAt: .now - .seconds(3600))
        return relay
    }

    /// The listening ports, listed again when the last listing is older than `maxAge`.
    func ports(_ id: String, relay: PreviewRelay, maxAge: Duration) async throws -> [ListeningPort] {
        if let current = live[id], current.relay === relay, ContinuousClock.now - current.listedAt < maxAge { return current.ports }
        let ports = ListeningPorts.parse(try await relay.tables(), excluding: Self.excluded)
        if live[id]?.relay === relay {
            live[id]?.ports = ports
            live[id]?.listedAt = .now
        }
        return ports
    }

    /// Starts the watcher for `id` unless one runs: `tick` lists again and says whether to go on.
    func watch(_ id: String, _ tick: @escaping @Sendable () async -> Bool) {
        guard live[id] != nil, live[id]?.watcher == nil else { return }
        let interval = pollInterval
        live[id]?.watcher = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard !Task.isCancelled, await tick() else { break }
            }
        }
    }

    func current(_ id: String) -> PreviewRelay? { live[id]?.relay }

    /// Records `ports` as the last list announced; true when that is news.
    func published(_ id: String, _ ports: [ListeningPort]) -> Bool {
        guard let previous = live[id]?.published, previous != ports else { return false }
        live[id]?.published = ports
        return true
    }

    /// Ends `id`'s relay and watcher.
    func drop(_ id: String) async {
        guard let current = live.removeValue(forKey: id) else { return }
        current.watcher?.cancel()
        await current.relay.stop()
    }

    public func stopAll() async {
        for id in Array(live.keys) { await drop(id) }
    }
}
