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
    /// Container lines already in each burrow's event log, per stream.
    private var taken: [String: LineCounts] = [:]
    public nonisolated let changes = EventBroadcaster()

    public init(config: Config, podman: PodmanClient) throws {
        self.config = config
        self.podman = podman
        self.directory = config.resolvedStateDir + "/burrows"
        try FileSystem.createDirectories(directory, mode: 0o700)
    }

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
                try? await podman.removeVolume(record.workspaceVolume, force: true)
                record.state = .queued
                try? save(&record)
                queue.append(id)
            case .running:
                active.insert(id)
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

    public func launch(repo name: String, task: String, gpu: Bool?) async throws -> BurrowRecord {
        guard let repo = config.repo(named: name) else {
            throw HTTPError(.badRequest, "unknown repo '\(name)'", detail: "configured repos: \(config.repos.map(\.name).joined(separator: ", "))")
        }
        guard !task.trimmingSpaces.isEmpty else { throw HTTPError(.badRequest, "the task is empty") }
        guard task.utf8.count <= 100 * 1024 else { throw HTTPError(.badRequest, "the task is over 100 KiB") }
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
        do {
            try await transition(&record, to: .preparing)
            let copyStarted = Monotonic.now()
            prepared = try await Workspace.prepare(repo)
            var copyNanoseconds = Monotonic.now() - copyStarted
            record.baseCommit = prepared!.baseCommit
            try save(&record)
            let created = try await createContainer(record, repo: repo)
            record.warnings = created.warnings
            let uploadStarted = Monotonic.now()
            try await podman.putArchive(record.container, path: "/workspace", tar: .file(prepared!.tarPath))
            copyNanoseconds += Monotonic.now() - uploadStarted
            record.repoCopyMs = Double(copyNanoseconds) / 1e6
            FileSystem.removeTree(prepared!.directory)
            prepared = nil
            if records[id]?.stopRequested == true { throw StopRequested() }
            try await podman.start(record.container)
            record.startedAt = Date().timeIntervalSince1970
            try await transition(&record, to: .running)
        } catch {
            if let prepared { FileSystem.removeTree(prepared.directory) }
            await finish(id, exitCode: nil, failure: error is StopRequested ? nil : "\(error)")
            return
        }
        await follow(id)
    }

    struct StopRequested: Error {}

    private func createContainer(_ record: BurrowRecord, repo: RepoConfig) async throws -> CreatedContainer {
        try await podman.createVolume(name: record.workspaceVolume, labels: ["io.burrow.id": record.id])
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
        spec.command = config.agentCommand + [record.task]
        spec.user = config.agentUser
        spec.workDir = "/workspace"
        spec.labels = ["io.burrow.id": record.id, "io.burrow.repo": record.repo]
        spec.env = config.env.merging(repo.env ?? [:]) { $1 }
        spec.volumes = [.init(name: record.workspaceVolume, destination: "/workspace")]
            + caches.map { .init(name: $0.volumeName, destination: $0.path) }
        if record.gpu { spec.devices = config.gpuDevices.map(ContainerSpec.Device.init) }
        spec.network = config.network == "none" ? .none : .slirp4netns
        if config.limits != LimitsConfig() {
            spec.resourceLimits = .init(memoryBytes: config.limits.memoryBytes, cpus: config.limits.cpus, pids: config.limits.pids)
        }
        spec.stopTimeout = 10
        return try await podman.createContainer(spec)
    }

    // MARK: Streaming

    /// Follows the container's output into the event log until it exits. Lines already recorded
    /// (counted per stream) are skipped, so following again after a restart duplicates nothing.
    private func follow(_ id: String) async {
        guard let record = records[id], let log = try? eventLog(id) else { return }
        if taken[id] == nil { taken[id] = (try? await log.lineCounts()) ?? LineCounts() }
        var seen = LineCounts()
        var assembler = LineAssembler()
        var failure: String?
        do {
            let stream = try await podman.logs(record.container, follow: true)
            while let frames = try await stream.next() {
                for frame in frames {
                    for line in assembler.add(frame) { try await take(line, id: id, log: log, seen: &seen) }
                }
            }
            for line in assembler.flush() { try await take(line, id: id, log: log, seen: &seen) }
            // Podman 4.3's follow can end before the last lines of a fast exit: read the whole log
            // again and take whatever is past what was seen.
            let exitCode = try await podman.wait(record.container)
            seen = LineCounts()
            var again = LineAssembler()
            let full = try await podman.logs(record.container, follow: false)
            while let frames = try await full.next() {
                for frame in frames { for line in again.add(frame) { try await take(line, id: id, log: log, seen: &seen) } }
            }
            for line in again.flush() { try await take(line, id: id, log: log, seen: &seen) }
            await finish(id, exitCode: exitCode, failure: nil)
            return
        } catch {
            failure = "\(error)"
        }
        await finish(id, exitCode: nil, failure: failure)
    }

    private func take(_ line: LineAssembler.Line, id: String, log: BurrowEvents, seen: inout LineCounts) async throws {
        guard var record = records[id] else { return }
        let index = seen.count(line.stream)
        let summary = line.stream == .stdout ? AgentOutput.parse(line.bytes) : nil
        guard index > taken[id, default: LineCounts()][line.stream] else {
            // Already in the log (a restart follows from the start): not again, but its facts
            // (session id, cost) still belong in the record, which may not have been saved.
            if let summary {
                AgentOutput.apply(summary, to: &record)
                records[id] = record
            }
            return
        }
        if let summary {
            try await log.append(kind: "agent", data: String(decoding: line.bytes, as: UTF8.self))
            AgentOutput.apply(summary, to: &record)
        } else {
            let text = String(decoding: line.bytes, as: UTF8.self)
            try await log.append(kind: "log", data: Self.json(LogLine(stream: line.stream.rawValue, text: text)))
        }
        taken[id, default: LineCounts()][line.stream] = index
        records[id] = record
    }

    struct LogLine: Encodable { let stream: String; let text: String }

    // MARK: Finishing

    private func finish(_ id: String, exitCode: Int32?, failure: String?) async {
        guard var record = records[id] else { return }
        record.exitCode = exitCode
        record.finishedAt = Date().timeIntervalSince1970
        if let failure { record.error = failure }
        if exitCode != nil, let repo = config.repo(named: record.repo), let base = record.baseCommit {
            do {
                let tarPath = folder(id) + "/workspace.tar"
                try await download(record.container, to: tarPath)
                let harvest = try await Workspace.harvest(tarPath: tarPath, id: id, baseCommit: base, repo: repo, patchPath: folder(id) + "/result.patch")
                FileSystem.remove(tarPath)
                record.branch = harvest.branch
            } catch {
                record.error = "bringing the work home failed: \(error)"
            }
        }
        let state: BurrowRecord.State = record.stopRequested ? .stopped : (exitCode == 0 && failure == nil ? .succeeded : .failed)
        try? await transition(&record, to: state)
        if let log = try? eventLog(id) { _ = try? await log.append(kind: "end", data: Self.json(record)) }
    }

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
            try await podman.remove(record.container)
            try await podman.removeVolume(record.workspaceVolume, force: true)
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
            record.turns = record.turns ?? current.turns
            record.result = record.result ?? current.result
            record.durationMs = record.durationMs ?? current.durationMs
            record.stopRequested = record.stopRequested || current.stopRequested
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
