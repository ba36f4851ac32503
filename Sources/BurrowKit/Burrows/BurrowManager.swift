import FoundationEssentials

/// Launches, follows, finishes and tears down burrows. State lives in the state dir and in Podman
/// labels, so a restarted Burrow finds running burrows again and finishes them.
public actor BurrowManager {
    public nonisolated let config: Config
    public nonisolated let podman: PodmanClient
    let directory: String
    private var records: [String: BurrowRecord] = [:]
    private var logs: [String: BurrowEvents] = [:]
    private var queue: [String] = []
    private var active: Set<String> = []
    private var proxies: [String: EgressProxy] = [:]
    private let credential: Credential?
    public nonisolated let changes = EventBroadcaster()

    public init(config: Config, podman: PodmanClient) throws {
        self.config = config
        self.podman = podman
        self.directory = config.resolvedStateDir + "/burrows"
        try FileSystem.createDirectories(directory, mode: 0o700)
        credential = try config.credentials.anthropic.map(Credential.load)
        if config.network.mode == .allowlist {
            // Podman, perhaps as another user, must reach the socket directories it mounts: the state
            // dir becomes traversable (not listable); the records' folder stays private.
            FileSystem.setMode(config.resolvedStateDir, 0o711)
            try FileSystem.createDirectories(socketsDirectory, mode: 0o711)
            FileSystem.setMode(socketsDirectory, 0o711)
            guard FileSystem.exists(forwarderPath) else {
                throw SandboxError.forwarderMissing(path: forwarderPath)
            }
        }
    }

    nonisolated var socketsDirectory: String { config.resolvedStateDir + "/run" }
    nonisolated var forwarderPath: String { SandboxLayout.forwarderPath(config) }

    /// Loads the records of an earlier run: queued burrows queue again, half-prepared ones are cleaned
    /// and queued again, running ones are followed again from where their event log ends.
    public func restore() async {
        for id in FileSystem.listDirectory(directory) {
            guard let bytes = try? FileSystem.readFile(folder(id) + "/record.json"),
                  var record = try? JSONCoding.decoder.decode(BurrowRecord.self, from: Data(bytes)) else { continue }
            records[id] = record
            switch record.state {
            case .queued:
                queue.append(id)
            case .preparing:
                try? await podman.remove(record.container)
                // A first turn starts over from the clone; a later one keeps the workspace it continues.
                if record.turn == 1 { try? await podman.removeVolume(record.workspaceVolume, force: true) }
                record.state = .queued
                try? save(&record)
                queue.append(id)
            case .running:
                active.insert(id)
                if record.network == NetworkConfig.Mode.allowlist.rawValue, let repo = config.repo(named: record.repo) {
                    try? startProxy(id, repo: repo)
                }
                Task { await self.resume(id) }
            case .succeeded, .failed, .stopped:
                break
            }
        }
        schedule()
    }

    private func resume(_ id: String) async {
        await follow(id)
        active.remove(id)
        schedule()
    }

    // MARK: Queries

    public func list() -> [BurrowRecord] { records.values.sorted { $0.createdAt > $1.createdAt } }

    public func record(_ id: String) throws(HTTPError) -> BurrowRecord {
        guard let record = records[id] else { throw HTTPError(.notFound, "no burrow \(id)") }
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

    // MARK: Launch

    /// Below this, a launch is refused: its events and result would not fit.
    static let minimumFreeBytes: Int64 = 64 << 20

    /// A task or a follow-up message: not empty, at most 100 KiB.
    private static func checkPrompt(_ text: String, _ what: String) throws {
        guard !text.trimmingSpaces.isEmpty else { throw HTTPError(.badRequest, "the \(what) is empty") }
        guard text.utf8.count <= 100 * 1024 else { throw HTTPError(.badRequest, "the \(what) is over 100 KiB") }
    }

    public func launch(repo name: String, task: String, gpu: Bool?) async throws -> BurrowRecord {
        guard let repo = config.repo(named: name) else {
            throw HTTPError(.badRequest, "unknown repo '\(name)'", detail: "configured repos: \(config.repos.map(\.name).joined(separator: ", "))")
        }
        try Self.checkPrompt(task, "task")
        if let free = FileSystem.freeBytes(directory), free < Self.minimumFreeBytes {
            throw HTTPError(.insufficientStorage, "the state dir has only \(free >> 10) KiB free",
                            detail: "Burrow needs \(Self.minimumFreeBytes >> 20) MiB free in \(directory) to record a burrow's events and result; free some space or move stateDir")
        }
        let image = repo.image ?? config.image
        do {
            guard try await podman.imageExists(image) else { throw PodmanError.imageMissing(image: image) }
        } catch let error as PodmanError {
            throw HTTPError(error.isNotFound ? .badRequest : .serviceUnavailable, error.description)
        }
        var record = BurrowRecord(id: BurrowRecord.newID(), repo: name, task: task, gpu: gpu ?? repo.gpu ?? false)
        try FileSystem.createDirectories(folder(record.id), mode: 0o700)
        try save(&record)
        await publishState(record)
        queue.append(record.id)
        schedule()
        return records[record.id] ?? record
    }

    private func schedule() {
        while active.count < config.maxConcurrent, !queue.isEmpty {
            let id = queue.removeFirst()
            active.insert(id)
            Task { await self.run(id) }
        }
    }

    private func run(_ id: String) async {
        defer {
            active.remove(id)
            schedule()
        }
        guard var record = records[id], record.state == .queued, let repo = config.repo(named: record.repo) else { return }
        var prepared: Workspace.Prepared?
        var attached: Task<LogStream, any Error>?
        do {
            try await transition(&record, to: .preparing)
            let firstTurn = record.turn == 1
            var copyNanoseconds: UInt64 = 0
            if firstTurn {
                let copyStarted = Monotonic.now()
                prepared = try await Workspace.prepare(repo)
                copyNanoseconds = Monotonic.now() - copyStarted
                record.baseCommit = prepared!.baseCommit
                try save(&record)
            }
            record.network = config.network.mode.rawValue
            if config.network.mode == .allowlist { try startProxy(id, repo: repo) }
            let created = try await createContainer(record, repo: repo)
            record.warnings = created.warnings
            try await writeMCPConfig(record, repo: repo)
            if let tar = prepared?.tarPath {
                let uploadStarted = Monotonic.now()
                try await podman.putArchive(record.container, path: "/workspace", tar: .file(tar))
                copyNanoseconds += Monotonic.now() - uploadStarted
                record.repoCopyMs = Double(copyNanoseconds) / 1e6
                FileSystem.removeTree(prepared!.directory)
                prepared = nil
            }
            if records[id]?.stopRequested == true { throw StopRequested() }
            attached = try await attachBeforeStart(record.container)
            try await podman.start(record.container)
            if firstTurn { record.startedAt = Date().timeIntervalSince1970 }
            try await transition(&record, to: .running)
        } catch {
            if let prepared { FileSystem.removeTree(prepared.directory) }
            attached?.cancel()
            await finish(id, exitCode: nil, failure: error is StopRequested ? nil : "\(error)")
            return
        }
        await follow(id, attached: attached)
    }

    /// Where Claude Code keeps its state (sessions, settings) in a burrow: a volume of the burrow's own.
    static let claudeConfigDirectory = "/burrow/claude"
    static let mcpConfigPath = claudeConfigDirectory + "/burrow-mcp.json"

    /// The agent's command for the record's current turn.
    func agentArguments(_ record: BurrowRecord, repo: RepoConfig) -> [String] {
        var command: [String]
        if record.turn == 1 {
            command = config.agentCommand + [record.task]
        } else {
            command = config.resumeCommand.map { $0.replacingOccurrences("{sessionID}", with: record.sessionID ?? "") } + [record.message ?? ""]
        }
        if !mcpServers(repo).isEmpty { command.insert(contentsOf: ["--mcp-config", Self.mcpConfigPath], at: 1) }
        return command
    }

    func mcpServers(_ repo: RepoConfig) -> [String: JSONValue] { config.mcpServers.merging(repo.mcpServers ?? [:]) { $1 } }

    /// Claude Code's MCP configuration, written into the burrow's config volume (nothing from the
    /// host's ~/.claude.json: it can hold servers that carry the user's credentials).
    private func writeMCPConfig(_ record: BurrowRecord, repo: RepoConfig) async throws {
        let servers = mcpServers(repo)
        guard !servers.isEmpty else { return }
        var tar = TarWriter()
        let json = try JSONCoding.encoder.encode(["mcpServers": servers])
        tar.addFile("burrow-mcp.json", Array(json), mode: 0o644, uid: 1000, gid: 1000)
        try await podman.putArchive(record.container, path: Self.claudeConfigDirectory, tar: .bytes(tar.finished()))
    }

    /// Opens the attach stream of a created container so that its first line is not missed. Podman
    /// answers the request only once the container runs, so it waits in a task; the container is
    /// started once Podman has initialized it for the attach (a start that still wins the race only
    /// costs order: the reconciliation after the exit brings any missed line in).
    private func attachBeforeStart(_ container: String) async throws -> Task<LogStream, any Error> {
        let podman = self.podman
        let attached = Task { try await podman.attach(container) }
        let deadline = Monotonic.now() + 2_000_000_000
        while Monotonic.now() < deadline, try await podman.inspectContainer(container).state.status != "initialized" {
            try await Task.sleep(for: .milliseconds(2))
        }
        return attached
    }

    struct StopRequested: Error {}

    private func createContainer(_ record: BurrowRecord, repo: RepoConfig) async throws -> CreatedContainer {
        for volume in [record.workspaceVolume, record.configVolume] where !(try await podman.volumeExists(volume)) {
            try await podman.createVolume(name: volume, labels: ["io.burrow.id": record.id])
        }
        let caches = config.caches + (repo.caches ?? [])
        for cache in caches where !(try await podman.volumeExists(cache.volumeName)) {
            do {
                try await podman.createVolume(name: cache.volumeName, labels: ["io.burrow.cache": cache.name])
            } catch {
                // Another burrow starting at the same moment may have just created it.
                guard try await podman.volumeExists(cache.volumeName) else { throw error }
            }
        }
        var spec = ContainerSpec(image: repo.image ?? config.image)
        spec.name = record.container
        spec.command = agentArguments(record, repo: repo)
        spec.user = config.agentUser
        spec.workDir = "/workspace"
        spec.labels = ["io.burrow.id": record.id, "io.burrow.repo": record.repo]
        spec.env = config.env.merging(repo.env ?? [:]) { $1 }
        spec.env["CLAUDE_CONFIG_DIR"] = Self.claudeConfigDirectory
        spec.labels["io.burrow.turn"] = String(record.turn)
        spec.volumes = [.init(name: record.workspaceVolume, destination: "/workspace"),
                        .init(name: record.configVolume, destination: Self.claudeConfigDirectory)]
            + caches.map { .init(name: $0.volumeName, destination: $0.path) }
        if record.gpu { spec.devices = config.gpuDevices.map(ContainerSpec.Device.init) }
        spec.network = config.network.mode == .open ? .slirp4netns : .none
        try SandboxLayout.harden(&spec, sandbox: config.sandbox, stateDir: config.resolvedStateDir)
        if config.sandbox.allowRoot == true {
            // sudo in the image needs setuid to work: Podman's default (rootless-mapped) capabilities.
            spec.capDrop = []
            spec.noNewPrivileges = false
        }
        if config.network.mode == .allowlist {
            SandboxLayout.routeThroughProxy(&spec, socketDirectory: socketsDirectory + "/" + record.id, forwarder: forwarderPath)
        }
        if config.limits != LimitsConfig() {
            spec.resourceLimits = .init(memoryBytes: config.limits.memoryBytes, cpus: config.limits.cpus, pids: config.limits.pids)
        }
        spec.stopTimeout = 10
        return try await podman.createContainer(spec)
    }

    // MARK: Streaming

    /// Follows a started container into the event log until it exits, then finishes the burrow.
    /// Live lines come from the attach socket, opened before the start (fast, nothing between the
    /// container and the log file on the way). Joining a container already running (Burrow or Podman
    /// restarted) follows Podman's log from its start instead, skipping what the event log holds. The
    /// container's log file is complete, so after the exit the event log is reconciled with it once
    /// more: every line the container printed ends up in the event log exactly once.
    private func follow(_ id: String, attached: Task<LogStream, any Error>? = nil) async {
        guard let container = records[id]?.container, let log = try? eventLog(id) else { return }
        var attached = attached
        do {
            var exited = false
            while !exited {
                exited = try await retryingWhilePodmanIsAway(id) {
                    if let pending = attached {
                        attached = nil
                        try await stream(try await pending.value, id: id, log: log, reconciling: false)
                    } else if try await podman.inspectContainer(container).state.running {
                        try await stream(try await podman.logs(container, follow: true), id: id, log: log, reconciling: true)
                    }
                    return try await hasExited(container)
                }
            }
            let (exitCode, reason) = try await retryingWhilePodmanIsAway(id) {
                let code = try await podman.wait(container)
                try await stream(try await podman.logs(container, follow: false), id: id, log: log, reconciling: true, complete: true)
                return (code, try await outsideEnd(container, id: id, exitCode: code))
            }
            await finish(id, exitCode: exitCode, failure: reason)
        } catch let error as PodmanError where error.isNotFound {
            await finish(id, exitCode: nil, failure: "the container \(container) was removed outside Burrow; the output up to then is kept, the workspace could not be brought home")
        } catch {
            await finish(id, exitCode: nil, failure: "\(error)")
        }
    }

    /// Why a container ended that Burrow did not end: killed by a signal or for memory.
    private func outsideEnd(_ container: String, id: String, exitCode: Int32) async throws -> String? {
        guard records[id]?.stopRequested != true else { return nil }
        let state = try await podman.inspectContainer(container).state
        if state.oomKilled == true { return "the agent was killed for running out of memory (limits.memory)" }
        if exitCode > 128 { return "the agent ended by signal \(exitCode - 128) (exit code \(exitCode)) that Burrow did not send: killed from outside?" }
        return nil
    }

    /// Runs `body` again each time Podman's service goes away under it, once it answers again.
    private func retryingWhilePodmanIsAway<T>(_ id: String, _ body: () async throws -> T) async throws -> T {
        while true {
            do {
                return try await body()
            } catch let error as PodmanError where error.isConnectionLoss {
                Console.error("burrow \(id): \(error); following again once Podman answers")
                try await waitForPodman()
            }
        }
    }

    /// Takes a stream of the container's output into the event log. `reconciling`: the stream starts
    /// at the container's first line, and lines the log already holds are passed over. An unterminated
    /// last line is only taken from the `complete` log: a live stream may have been cut inside it.
    private func stream(_ output: LogStream, id: String, log: BurrowEvents, reconciling: Bool, complete: Bool = false) async throws {
        defer { output.close() }
        let first = (records[id]?.turnStart ?? 0) + 1
        var reconciler = reconciling ? try OutputReconciler(eventsPath: log.path, sequences: first...max(first, await log.lastSequence)) : nil
        var assembler = LineAssembler()
        while let frames = try await output.next() {
            var lines: [LineAssembler.Line] = []
            for frame in frames { lines += assembler.add(frame) }
            try await take(lines, id: id, log: log, reconciler: &reconciler)
        }
        guard complete else { return }
        try await take(assembler.flush(), id: id, log: log, reconciler: &reconciler)
        if let unmatched = try reconciler?.unmatchedCount(), unmatched > 0 {
            Console.error("burrow \(id): \(unmatched) recorded lines not found in the container's log")
        }
    }

    private func take(_ lines: [LineAssembler.Line], id: String, log: BurrowEvents, reconciler: inout OutputReconciler?) async throws {
        var events: [(kind: String, data: String)] = []
        var record = records[id]
        for line in lines {
            let summary = line.stream == .stdout ? AgentOutput.parse(line.bytes) : nil
            // A line already in the log still carries facts (session id, cost) the record may have lost.
            if let summary, record != nil { AgentOutput.apply(summary, to: &record!) }
            let event = OutputEvent(line, summary: summary)
            if try reconciler?.isRecorded(event) == true { continue }
            events.append((event.kind, event.data))
        }
        if let record { records[id] = record }
        try await log.append(events)
    }

    /// Whether the container has exited, given Podman a moment: its output ends before Podman
    /// records the exit. Still running after that means the stream broke, not the container.
    private func hasExited(_ container: String) async throws -> Bool {
        for _ in 0..<20 {
            if try await !podman.inspectContainer(container).state.running { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    /// Waits until Podman answers again after its service went away.
    private func waitForPodman() async throws {
        var delay: Duration = .milliseconds(200)
        while true {
            try await Task.sleep(for: delay)
            if (try? await podman.ping()) != nil { return }
            delay = min(delay * 2, .seconds(5))
        }
    }

    // MARK: Egress

    /// Opens the burrow's egress socket (again, after a restart: the container mounted its folder).
    private func startProxy(_ id: String, repo: RepoConfig) throws {
        proxies[id]?.shutdown()
        let folder = socketsDirectory + "/" + id
        // Traversable, not listable: Podman (perhaps another user) bind-mounts it; who is served is
        // decided by the proxy's peer check.
        try FileSystem.createDirectories(folder, mode: 0o711)
        FileSystem.setMode(folder, 0o711)
        let policy = EgressPolicy(allow: config.network.allow + (repo.allow ?? []), resolve: config.network.resolve)
        let model = credential.map { ModelEndpoint(upstream: URL(string: config.credentials.resolvedUpstream)!, credential: $0) }
        let peers = BurrowPeers.forPodman(socketPath: podman.socketPath)
        let proxy = try EgressProxy(socketPath: folder + "/" + SandboxLayout.socketName, policy: policy, model: model,
                                    limits: ProxyLimits(config.network), allowPeer: { peers.allows($0) }) { [weak self] event in
            await self?.recordNet(event, id: id)
        }
        proxies[id] = proxy
        Task { await proxy.run() }
    }

    private func stopProxy(_ id: String) {
        proxies.removeValue(forKey: id)?.shutdown()
        FileSystem.removeTree(socketsDirectory + "/" + id)
    }

    private func recordNet(_ event: NetEvent, id: String) async {
        if event.phase == .model, records[id] != nil {
            records[id]!.model = (records[id]!.model ?? ModelUsage()).counting(event)
        }
        if let log = try? eventLog(id) { _ = try? await log.append(kind: "net", data: Self.json(event)) }
    }

    // MARK: Finishing

    private func finish(_ id: String, exitCode: Int32?, failure: String?) async {
        stopProxy(id)
        guard var record = records[id] else { return }
        record.exitCode = exitCode
        record.finishedAt = Date().timeIntervalSince1970
        if let failure { record.error = failure }
        if exitCode != nil, let repo = config.repo(named: record.repo), let base = record.baseCommit {
            do {
                let tarPath = folder(id) + "/workspace.tar"
                try await download(record.container, to: tarPath)
                let harvest = try await Workspace.harvest(tarPath: tarPath, id: id, baseCommit: base, repo: repo, patchPath: folder(id) + "/result.patch",
                                                          resultRepo: folder(id) + "/result.git", previousHead: record.resultHead, turn: record.turn)
                FileSystem.remove(tarPath)
                record.branch = harvest.branch
                record.resultHead = harvest.head
            } catch {
                record.error = "bringing the work home failed: \(error)"
            }
        }
        let state: BurrowRecord.State = record.stopRequested ? .stopped : (exitCode == 0 && failure == nil ? .succeeded : .failed)
        try? await transition(&record, to: state)
        if let log = try? eventLog(id) { _ = try? await log.append(kind: "end", data: Self.json(record)) }
        if let next = records[id]?.queuedMessages.first, !record.stopRequested, record.sessionID != nil {
            records[id]?.queuedMessages.removeFirst()
            try? await beginTurn(&record, message: next)
        }
    }

    // MARK: Conversation

    /// A follow-up message: a new turn in a fresh container on the same workspace, resuming the
    /// agent's session. While a turn runs it waits in `queuedMessages`; after teardown there is
    /// nothing to continue (409).
    public func sendMessage(_ id: String, text: String) async throws -> BurrowRecord {
        var record = try record(id)
        try Self.checkPrompt(text, "message")
        if record.tornDown {
            throw HTTPError(.conflict, "burrow \(id) was torn down", detail: "its workspace and the agent's session are gone; launch a new burrow")
        }
        if !record.state.isFinal || !record.queuedMessages.isEmpty {
            records[id]?.queuedMessages.append(text)
            record = records[id] ?? record
            try save(&record)
            await publishState(record)
            return records[id] ?? record
        }
        guard record.sessionID != nil else {
            throw HTTPError(.conflict, "burrow \(id) has no agent session to resume", detail: "the agent never reported a session_id (system/init)")
        }
        try await beginTurn(&record, message: text)
        return records[id] ?? record
    }

    /// Marks the user's message in the event stream and queues the turn to run.
    private func beginTurn(_ record: inout BurrowRecord, message: String) async throws {
        let log = try eventLog(record.id)
        await log.reopen()
        record.turn += 1
        record.message = message
        record.container = record.containerName(turn: record.turn)
        record.exitCode = nil
        record.error = nil
        record.stopRequested = false
        let turnEvent = try await log.append(kind: "turn", data: Self.json(TurnEvent(turn: record.turn, text: message)))
        record.turnStart = turnEvent
        try await transition(&record, to: .queued)
        queue.append(record.id)
        schedule()
    }

    struct TurnEvent: Encodable { let turn: Int; let text: String }

    private func download(_ container: String, to path: String) async throws {
        FileSystem.remove(path)
        let file = try AppendOnlyFile(path: path)
        defer { file.close() }
        let stream = try await podman.getArchive(container, path: "/workspace")
        while let piece = try await stream.next() { try file.append(piece) }
    }

    // MARK: Stop and teardown

    public func stop(_ id: String) async throws -> BurrowRecord {
        var record = try record(id)
        guard !record.state.isFinal else { return record }
        record.stopRequested = true
        try save(&record)
        if record.state == .queued {
            queue.removeAll { $0 == id }
            try await transition(&record, to: .stopped)
            if let log = try? eventLog(id) { try await log.append(kind: "end", data: Self.json(record)) }
            return record
        }
        if record.state == .running { try? await podman.stop(record.container, timeout: 10) }
        return records[id] ?? record
    }

    public func teardown(_ id: String, purge: Bool) async throws {
        var record = try record(id)
        if !record.state.isFinal {
            throw HTTPError(.conflict, "burrow \(id) is \(record.state.rawValue)", detail: "stop it first (POST /api/burrows/\(id)/stop)")
        }
        do {
            // Every turn's container carries the burrow's label.
            for container in try await podman.listContainers(label: "io.burrow.id=\(id)") { try await podman.remove(container.id) }
            try await podman.removeVolume(record.workspaceVolume, force: true)
            try await podman.removeVolume(record.configVolume, force: true)
        } catch let error as PodmanError {
            throw HTTPError(.serviceUnavailable, "teardown failed", detail: error.description)
        }
        record.tornDown = true
        try save(&record)
        await publishState(record)
        if purge {
            await logs[id]?.close()
            logs[id] = nil
            records[id] = nil
            FileSystem.removeTree(folder(id))
        }
    }

    // MARK: Persistence

    private func transition(_ record: inout BurrowRecord, to state: BurrowRecord.State) async throws {
        record.state = state
        try save(&record)
        await publishState(record)
    }

    private func save(_ record: inout BurrowRecord) throws {
        if let current = records[record.id] {
            // Agent fields are advanced by `take` while a caller holds an older copy; keep the newest.
            record.sessionID = record.sessionID ?? current.sessionID
            record.costUSD = record.costUSD ?? current.costUSD
            if current.turn == record.turn && current.turnCosts.count >= record.turnCosts.count {
                record.turnCosts = current.turnCosts
                record.costUSD = current.costUSD ?? record.costUSD
            }
            record.turns = record.turns ?? current.turns
            record.result = record.result ?? current.result
            record.durationMs = record.durationMs ?? current.durationMs
            if record.turn == current.turn { record.stopRequested = record.stopRequested || current.stopRequested }
            // Messages are queued and taken on `records` itself; a caller's copy may predate them.
            record.queuedMessages = current.queuedMessages
            record.model = current.model ?? record.model
        }
        records[record.id] = record
        try FileSystem.writeAtomically(Array(try JSONCoding.encoder.encode(record)), to: folder(record.id) + "/record.json", mode: 0o600)
    }

    private func publishState(_ record: BurrowRecord) async {
        let data = Self.json(record)
        await changes.publish(event: "state", data: data)
        if let log = try? eventLog(record.id) { _ = try? await log.append(kind: "state", data: data) }
    }

    private func eventLog(_ id: String) throws -> BurrowEvents {
        if let log = logs[id] { return log }
        let log = try BurrowEvents(path: folder(id) + "/events.ndjson")
        logs[id] = log
        return log
    }

    func folder(_ id: String) -> String { directory + "/" + id }

    static func json<T: Encodable>(_ value: T) -> String {
        (try? JSONCoding.encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }
}
