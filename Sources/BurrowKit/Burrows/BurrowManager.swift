import FoundationEssentials
import BurrowSystem
import BurrowHTTP
import BurrowPodman

/// Launches, follows, finishes and tears down burrows. State lives in the state dir and in Podman
/// labels, so a restarted Burrow finds running burrows again and finishes them.
///
/// The rule that keeps it correct under actor reentrancy: a record is changed only in place, through
/// `mutate` (change, save) or `update` (change, save, publish), and no copy of a record is kept across
/// an `await` to be written back. Code that awaits reads `records[id]` again afterwards.
public actor BurrowManager {
    public nonisolated let config: Config
    /// The local runner's Podman; `podman` is the current burrow's runner's (see `RunnerBinding`).
    public nonisolated let localPodman: PodmanClient
    public nonisolated var podman: PodmanClient { RunnerBinding.current?.podman ?? localPodman }
    /// The local Podman first, then the remote runners (`runners` in the config).
    nonisolated let runners: [Runner]
    let directory: String
    var records: [String: BurrowRecord] = [:]
    var logs: [String: BurrowEvents] = [:]
    var queue: [String] = []
    var active: Set<String> = []
    /// Burrows whose teardown is under way: no new turn may start on volumes being removed.
    var tearingDown: Set<String> = []
    var proxies: [String: EgressProxy] = [:]
    /// The process that holds the real credential, when one is configured (started on first use).
    let vault: ModelVault?
    var localCrossing: Crossing
    var crossing: Crossing {
        get { RunnerBinding.current?.crossing ?? localCrossing }
        set { localCrossing = newValue }
    }
    var knownImageFacts: [String: ImageFacts] = [:]
    /// The Podman user's id ranges, asked once (per-burrow user namespaces).
    var knownIDRanges: BurrowIDRanges?
    /// Burrows whose branch is being pushed or deleted (one git operation each at a time).
    var branchWork: Set<String> = []
    var githubCLI = GitHubCLI()
    /// The lifecycle tasks (one per burrow that is being prepared, run or finished), cancelled on shutdown.
    var tasks: [String: Task<Void, Never>] = [:]
    /// Per repo, the background work that makes the next id range ready for it (see `prepareNextRange`).
    var preparingRanges: [String: Task<Void, Never>] = [:]
    /// Per repo, the latest burrow's request for its next range (taken by the preparation under way).
    var rangeRequests: [String: RangeRequest] = [:]
    /// A later look at the queue while some turn waits for an unreachable runner.
    var rescheduling: Task<Void, Never>?
    /// The tasks that keep running burrows' live changes current.
    let watchers = ChangeWatchers()
    /// The task that keeps running burrows within `limits.disk`.
    nonisolated let diskWatch = DiskBudgetWatch()
    /// `limits.minFreeDisk` before a launch, and the Podman facts it learns once per runner.
    nonisolated let freeSpace = FreeSpaceCheck()
    public nonisolated let changes = EventBroadcaster()

    public init(config: Config, podman: PodmanClient) throws {
        self.config = config
        self.localPodman = podman
        self.directory = config.resolvedStateDir + "/burrows"
        try FileSystem.createDirectories(directory, mode: 0o700)
        vault = try config.credentials.anthropic.map { source in
            _ = try Credential.load(source)  // a missing key is an error now, not at the first model call
            return ModelVault(upstream: URL(string: config.credentials.resolvedUpstream)!) { try Credential.load(source) }
        }
        localCrossing = try Crossing(podman: podman, stateDir: config.resolvedStateDir, labels: try BurrowLabels.stamped([:], config: config))
        runners = try Self.makeRunners(config: config, podman: podman, labels: try BurrowLabels.stamped([:], config: config))
        if config.network.mode == .allowlist {
            // Podman, perhaps as another user, must reach the socket directories it mounts: the state
            // dir becomes traversable (not listable); the records' folder stays private.
            FileSystem.setMode(config.resolvedStateDir, 0o711)
            try FileSystem.createDirectories(socketsDirectory, mode: 0o711)
            FileSystem.setMode(socketsDirectory, 0o711)
        }
        // Every burrow's command runs under the forwarder (the task on stdin; the proxy with allowlist).
        guard FileSystem.exists(forwarderPath) else {
            throw SandboxError.forwarderMissing(path: forwarderPath)
        }
    }

    nonisolated var socketsDirectory: String { config.resolvedStateDir + "/run" }
    nonisolated var forwarderPath: String { SandboxLayout.forwarderPath(config) }

    /// Loads the records of an earlier run: queued burrows queue again, half-prepared ones are cleaned
    /// and queued again, running ones are followed again from where their event log ends.
    public func restore() async {
        // Burrows followed again serve their egress socket to their own id range only (see `peers`).
        if config.sandbox.perBurrowIDs { _ = try? await idRanges() }
        for id in FileSystem.listDirectory(directory) {
            guard let bytes = try? FileSystem.readFile(folder(id) + "/record.json"),
                  let record = try? JSONCoding.decoder.decode(BurrowRecord.self, from: Data(bytes)) else { continue }
            records[id] = record
            switch record.state {
            case .queued:
                queue.append(id)
            case .preparing:
                // A remote runner's half-made container is removed through its connection, once up.
                try? await runner(for: id)?.remote?.tunnel.waitConnected()
                try? await podman(for: id).remove(record.container)
                // A first turn starts over from the base; a later one keeps the workspace it continues.
                if record.turn == 1 { try? await podman(for: id).removeVolume(record.workspaceVolume, force: true) }
                _ = try? mutate(id) { $0.state = .queued }
                queue.append(id)
            case .running:
                active.insert(id)
                if record.network == NetworkConfig.Mode.allowlist.rawValue, let repo = config.repo(named: record.repo) {
                    try? startProxy(id, repo: repo)
                }
                own(id) { manager in
                    if await manager.rejoinRunner(id) { await manager.follow(id) }
                    await manager.ended(id)
                }
            case .succeeded, .failed, .stopped:
                break
            }
        }
        schedule()
    }

    /// Runs a burrow's lifecycle step as the task this manager owns for it (one at a time per burrow).
    /// The task talks to the burrow's runner (`RunnerBinding`).
    func own(_ id: String, _ body: @escaping @Sendable (BurrowManager) async -> Void) {
        let runner = runner(for: id)
        tasks[id] = Task { await RunnerBinding.$current.withValue(runner) { await body(self) } }
    }

    /// A burrow's lifecycle task is over: its slot goes to the next in the queue.
    func ended(_ id: String) {
        tasks[id] = nil
        active.remove(id)
        schedule()
    }

    /// Ends every lifecycle task (followers, preparations) and every egress proxy; containers keep
    /// running and are followed again by the next start.
    public func shutdown() async {
        rescheduling?.cancel()
        rescheduling = nil
        let running = Array(tasks.values)
        tasks.removeAll()
        for task in running { task.cancel() }
        for task in running { await task.value }
        let preparations = Array(preparingRanges.values)
        for task in preparations { task.cancel() }
        for task in preparations { await task.value }
        await watchers.stopAll()
        await diskWatch.stop()
        for id in Array(proxies.keys) { proxies.removeValue(forKey: id)?.shutdown() }
        await vault?.stop()
        for log in logs.values { await log.close() }
        await shutdownRunners()
    }

    // MARK: Queries

    public func list() -> [BurrowRecord] { records.values.sorted { $0.createdAt > $1.createdAt } }

    public func record(_ id: String) throws(BurrowError) -> BurrowRecord {
        guard let record = records[id] else { throw .notFound(id: id) }
        return record
    }

    public func events(_ id: String) throws -> BurrowEvents {
        _ = try record(id)
        return try eventLog(id)
    }

    public func patch(_ id: String) throws -> [UInt8]? {
        _ = try record(id)
        let path = folder(id) + "/result.patch"
        return FileSystem.exists(path) ? try FileSystem.readFile(path) : nil
    }

    // MARK: The one way a record changes

    /// Changes the record in place and saves it. Synchronous: nothing else runs in between.
    @discardableResult
    func mutate(_ id: String, _ change: (inout BurrowRecord) -> Void) throws -> BurrowRecord {
        guard var record = records[id] else { throw BurrowError.notFound(id: id) }
        change(&record)
        records[id] = record
        try FileSystem.writeAtomically(Array(try JSONCoding.encoder.encode(record)), to: folder(id) + "/record.json", mode: 0o600)
        return record
    }

    /// `mutate`, then tells every watcher (the list stream and the burrow's own event log).
    @discardableResult
    func update(_ id: String, _ change: (inout BurrowRecord) -> Void) async throws -> BurrowRecord {
        let record = try mutate(id, change)
        await publish(record)
        return record
    }

    func publish(_ record: BurrowRecord) async {
        let data = Self.json(record)
        await changes.publish(event: "state", data: data)
        if let log = try? eventLog(record.id) { _ = try? await log.append(kind: .state, data: data) }
    }

    func eventLog(_ id: String) throws -> BurrowEvents {
        if let log = logs[id] { return log }
        let log = try BurrowEvents(path: folder(id) + "/events.ndjson", limit: Int(config.limits.eventLogBytes))
        logs[id] = log
        return log
    }

    func folder(_ id: String) -> String { directory + "/" + id }

    static func json<T: Encodable>(_ value: T) -> String {
        (try? JSONCoding.encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }
}
