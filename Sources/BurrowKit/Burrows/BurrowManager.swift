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
    /// The local runner's Podman. A burrow's steps use its run's (`BurrowRun.podman`).
    public nonisolated let localPodman: PodmanClient
    public nonisolated var podman: PodmanClient { localPodman }
    /// The local Podman first, then the remote runners (`runners` in the config).
    nonisolated let runners: [Runner]
    let directory: String
    /// Every record; changed only through `mutate`/`update`/`note` (the store's `update`).
    var store: RecordStore
    var records: [String: BurrowRecord] { store.records }
    var logs: [String: BurrowEvents] = [:]
    var queue: [String] = []
    /// One run per burrow with a turn under way in this process (see `BurrowLife`); its slot counts
    /// against its runner's `maxConcurrent`.
    var runs: [String: BurrowRun] = [:]
    var runTokens = 0
    /// Teardowns and branch work under way, claimed before their first await (see `BurrowLife`).
    var claims: [String: BurrowClaim] = [:]
    /// Shell copies being created, per burrow: a teardown waits for none (see `startShellCopy`).
    var openingShells: [String: Int] = [:]
    /// Set once at the start of `shutdown`: no run starts after it.
    var shuttingDown = false
    /// Every run's task is its child.
    let supervisor = RunSupervisor()
    /// Woken each time a run ends (a slot and perhaps an id range are free) or a stop is asked for.
    let lifeChanged = Wakeup()
    /// The process that holds the real credential, when one is configured (started on first use).
    let vault: ModelVault?
    /// The local runner's crossing; a remote runner's run carries its own (`BurrowRun.crossing`).
    var crossing: Crossing
    var knownImageFacts: [String: ImageFacts] = [:]
    /// The Podman user's id ranges, asked once (per-burrow user namespaces).
    var knownIDRanges: BurrowIDRanges?
    var githubCLI = GitHubCLI()
    /// Per repo, the background work that makes the next id range ready for it (see `prepareNextRange`).
    var preparingRanges: [String: Task<Void, Never>] = [:]
    /// Per repo, the latest burrow's request for its next range (taken by the preparation under way).
    var rangeRequests: [String: RangeRequest] = [:]
    /// Whether a burrow is starting or coming home: the range preparation waits for quiet.
    nonisolated let foreground = ForegroundGate()
    /// Whether a burrow is starting (its range, workspace, container): way-home helpers wait for it.
    nonisolated let launching = ForegroundGate()
    /// Per running turn, the start of its way-home helper.
    let homeHelpers = HomeHelpers<HelperContainer.Waiting>()
    /// The tasks that keep running burrows' live changes current.
    let watchers = ChangeWatchers()
    /// The task that keeps running burrows within `limits.disk`.
    nonisolated let diskWatch = DiskBudgetWatch()
    /// `limits.minFreeDisk` before a launch, and the Podman facts it learns once per runner.
    nonisolated let freeSpace = FreeSpaceCheck()
    public nonisolated let changes = EventBroadcaster()
    /// The relays into running burrows' network namespaces, for previews.
    public nonisolated let previewHub = PreviewHub()
    /// Repositories added from the page, beside the config's.
    public nonisolated let addedRepos: AddedRepos
    /// How model calls are paid for, as burrows' records say (`BurrowRecord.billing`).
    nonisolated let billing: String?
    /// Per burrow, where requests to unlisted hosts wait for a person (`BurrowManager+Asks`).
    var askRooms: [String: AskRoom] = [:]
    /// Hosts a person allowed for good, per repo.
    public nonisolated let alwaysAllowed: RepoAllowances

    public init(config: Config, podman: PodmanClient) throws {
        self.config = config
        self.localPodman = podman
        self.directory = config.resolvedStateDir + "/burrows"
        store = RecordStore(directory: directory)
        alwaysAllowed = RepoAllowances(stateDir: config.resolvedStateDir)
        try FileSystem.createDirectories(directory, mode: 0o700)
        addedRepos = try AddedRepos(stateDir: config.resolvedStateDir)
        billing = try config.credentials.anthropic.map { try Credential.load($0).isOAuth ? "subscription" : "api" }
        vault = try config.credentials.anthropic.map { source in
            _ = try Credential.load(source)  // a missing key is an error now, not at the first model call
            return ModelVault(upstream: URL(string: config.credentials.resolvedUpstream)!) { try Credential.load(source) }
        }
        crossing = try Crossing(podman: podman, stateDir: config.resolvedStateDir, labels: try BurrowLabels.stamped([:], config: config))
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
    /// Reads the records an earlier run left, asking Podman nothing: `serve` lists them at once.
    public func loadRecords() -> [BurrowRecord] { store.load() }

    /// `earlier`: the records `loadRecords` read (nil: read them now).
    public func restore(_ earlier: [BurrowRecord]? = nil) async {
        let earlier = earlier ?? store.load()
        // The remote runners connect from here on (their connections end in `shutdown`).
        startRunners()
        await removeStaleShellCopies()
        await removeStaleProbes()
        // Burrows followed again serve their egress socket to their own id range only (see `peers`).
        if config.sandbox.perBurrowIDs { _ = try? await idRanges() }
        for record in earlier {
            let id = record.id
            await denyAsksLeftWaiting(record)
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
                startRun(id, .running) { manager, run in
                    if manager.records[id]?.network == NetworkConfig.Mode.allowlist.rawValue, let repo = manager.repo(named: record.repo) {
                        try? manager.startProxy(run, repo: repo)
                    }
                    if await manager.rejoinRunner(run) { await manager.follow(run) }
                }
            case .succeeded, .failed, .stopped:
                break
            }
        }
        schedule()
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

    /// Changes the record in place and saves it (`RecordStore.update`). Synchronous: nothing else
    /// runs in between. Only for steps whose watchers hear of the change with the step's next `update`.
    @discardableResult
    func mutate(_ id: String, _ change: (inout BurrowRecord) -> Void) throws -> BurrowRecord {
        try store.update(id, change)
    }

    /// `mutate`, then tells every watcher (the list stream and the burrow's own event log).
    @discardableResult
    func update(_ id: String, _ change: (inout BurrowRecord) -> Void) async throws -> BurrowRecord {
        let record = try mutate(id, change)
        await publish(record)
        return record
    }

    /// `mutate` for facts the burrow's own stream already carries (its agent's output, its metered
    /// usage): saved and told to the list stream, and only when something changed.
    func note(_ id: String, _ change: (inout BurrowRecord) -> Void) async {
        guard let before = records[id] else { return }
        var after = before
        change(&after)
        guard after != before, let saved = try? mutate(id, { $0 = after }) else { return }
        await changes.publish(event: "state", data: Self.json(saved))
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

    func folder(_ id: String) -> String { store.folder(id) }

    static func json<T: Encodable>(_ value: T) -> String {
        (try? JSONCoding.encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }
}
