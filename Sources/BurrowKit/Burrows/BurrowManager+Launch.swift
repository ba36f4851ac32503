import FoundationEssentials
import BurrowSystem
import BurrowPodman

/// Launching: checks, the queue, and a turn's way from `queued` to `running`.
extension BurrowManager {
    /// A task or a follow-up message: not empty, at most 100 KiB.
    static func checkPrompt(_ text: String, _ what: String) throws(BurrowError) {
        guard !text.trimmingSpaces.isEmpty else { throw .invalid("the \(what) is empty") }
        guard text.utf8.count <= 100 * 1024 else { throw .invalid("the \(what) is over 100 KiB") }
    }

    /// `runner`: where it must run (nil: Burrow picks, see `RunnerSelection`); `placement`: its group.
    public func launch(repo name: String, task: String, gpu: Bool?, budget: Budget? = nil,
                       base: String? = nil, uncommitted: Bool = false, title: String? = nil, runner: String? = nil,
                       asking: AskOverride? = nil, credentialServices: [String]? = nil,
                       placement: AttemptPlacement? = nil, nestedContainers: Bool? = nil) async throws -> BurrowRecord {
        guard let repo = repo(named: name) else {
            throw BurrowError.invalid("unknown repo '\(name)'", detail: "configured repos: \(allRepos.map(\.repo.name).joined(separator: ", "))")
        }
        if let missing = ModelAccess.missingCredentials(config) { throw missing }
        try Self.checkPrompt(task, "task")
        let title = try Self.checkTitle(title)
        // A Podman known to be stuck refuses the launch in seconds, with since when, not at a deadline.
        do { try await localPodman.checkAnswering() } catch let error as PodmanError { throw BurrowError.podmanUnavailable(error.description) }
        try await freeSpace.check(stateDir: directory, podman: localPodman, limits: config.limits)
        // A devcontainer's image is found or built when the burrow is prepared.
        let image = repo.image ?? config.image
        let onlyLocal = try checkRunners(repo: name, gpu: gpu ?? repo.gpu ?? false, runner: runner)
        do {
            if onlyLocal, repo.devcontainer == nil || repo.devcontainer == .off, !(try await localPodman.imageExists(image)) {
                throw PodmanError.imageMissing(image: image)
            }
        } catch let error as PodmanError {
            throw error.isNotFound ? BurrowError.invalid(error.description) : BurrowError.podmanUnavailable(error.description)
        }
        var record = BurrowRecord(id: BurrowRecord.newID(), repo: name, task: task, gpu: gpu ?? repo.gpu ?? false)
        record.budget = BurrowRecord.budget(launch: budget, repo: repo, config: config)
        record.title = title
        record.runner = runner
        record.billing = billing
        record.asking = try asking.map { try config.askSettings(repo: repo, launch: $0) }
        record.launchRules = try asking?.rules.map { try config.launchRules($0) }
        record.credentialServices = try credentialServices.map { try config.launchCredentialServices($0, repo: repo) }
        if try config.nestedContainers(repo: repo, launch: nestedContainers) { record.nestedContainers = true }
        placement?.apply(to: &record)
        if let base = base.map({ String($0.trimmingSpaces) }), !base.isEmpty { record.baseRef = try await BaseChoice.resolve(base, repo: repo) }
        try FileSystem.createDirectories(folder(record.id), mode: 0o700)
        if uncommitted {
            do {
                record.uncommitted = try await UncommittedChanges.capture(repo: repo, into: uncommittedPatch(record.id))
                if record.uncommitted == nil { record.warnings.append("no uncommitted changes to tracked files in \(repo.name): started from the base alone") }
            } catch {
                FileSystem.removeTree(folder(record.id))
                throw error
            }
        }
        try store.add(record)
        await publish(record)
        let saved = record
        queue.append(record.id)
        schedule()
        return records[record.id] ?? saved
    }

    struct StopRequested: Error {}

    /// Throws `StopRequested` once a stop was asked for: checked between the steps of a preparation.
    func checkStop(_ id: String) throws {
        if records[id]?.stopRequested == true { throw StopRequested() }
    }

    /// One turn, from `queued`: the workspace (first turn), the container, the start; then following.
    func turn(_ run: BurrowRun) async {
        let id = run.id, podman = run.podman
        guard let queued = records[id], queued.state == .queued, let repo = repo(named: queued.repo) else { return }
        var attached: Task<LogStream, any Error>?
        do {
            // Taken before the first await: a stop from here on is this run's to act on (`checkStop`),
            // not a queued burrow's to end at once — which let a teardown remove the volumes this
            // preparation was still making (Podman made them again without their folders).
            await publish(try mutate(id) { $0.state = .preparing })
            // One stopped while an earlier Burrow prepared it (queued again at restart) ends here.
            try checkStop(id)
            await noteStartup(id, "queued", ms: (Date().timeIntervalSince1970 - queued.createdAt) * 1000)
            try await podman.checkAnswering()
            var step = Monotonic.now()
            try await prepareRunner(run, image: repo.devcontainer == nil || repo.devcontainer == .off ? repo.image ?? config.image : nil)
            try await claimIDs(run)
            await noteStartup(id, "idRange", since: step)
            step = Monotonic.now()
            if records[id]?.turn == 1 { try await enterWorkspace(run, repo: repo) }
            await noteStartup(id, "workspace", since: step)
            try checkStop(id)
            try await update(id) { $0.network = config.network.mode.rawValue }
            step = Monotonic.now()
            if config.network.mode == .allowlist { try startProxy(run, repo: repo) }
            let container = try await createContainer(run, repo: repo)
            try checkStop(id)
            attached = try await attachBeforeStart(container, id: id, podman: podman)
            try checkStop(id)
            try await podman.start(container)
            await noteStartup(id, "container", since: step)
            enter(records[id]?.stopRequested == true ? .stopping : .running, id)
            try await update(id) { record in
                let now = Date().timeIntervalSince1970
                if record.turn == 1 { record.startedAt = now }
                record.turnTimes = (record.turnTimes ?? []) + [TurnTime(startedAt: now)]
                record.state = .running
            }
            // A stop that arrived while the container was starting: it is running now, so stop it.
            if records[id]?.stopRequested == true { try? await podman.stop(container, timeout: 10) }
        } catch {
            attached?.cancel()
            // An attach that had already connected: its stream is closed, not left open.
            (try? await attached?.value)?.close()
            // Shutting down: the record stays `preparing`, and the next start prepares it again.
            if Task.isCancelled { return }
            await finish(run, exitCode: nil, failure: error is StopRequested ? nil : "\(error)")
            return
        }
        await follow(run, attached: attached)
    }

    /// The first turn's workspace: the repo crosses in (see `Crossing`), and its devcontainer.json,
    /// when the repo asks for one, decides the image, user, env and setup commands of every turn.
    private func enterWorkspace(_ run: BurrowRun, repo: RepoConfig) async throws {
        let id = run.id, started = Monotonic.now()
        let fetched = try await startingPoint(run, repo: repo)
        var devcontainer = try await Devcontainer.plan(repo: repo, store: run.crossing.store, commit: fetched.commit, podman: run.podman,
                                                       labels: try instanceLabels())
        if let log = try? eventLog(id), let lines = devcontainer?.buildLog, !lines.isEmpty {
            try await log.append(lines.map { (kind: .log, data: Self.json(OutputEvent.LogLine(stream: "setup", text: $0))) })
        }
        devcontainer?.buildLog = []
        let user = try await imageFacts(image: devcontainer?.image ?? repo.image ?? config.image, user: devcontainer?.user ?? config.agentUser,
                                        on: run.runner).identity
        if let ids = records[id]?.ids, max(user.uid, user.gid) >= ids.size {
            // Nothing exists in the range yet: this burrow runs in Podman's shared mapping, and says so.
            let warning = "the image's agent uid:gid \(user.uid):\(user.gid) does not fit a burrow's own id range of \(ids.size) ids: "
                + "this burrow runs in Podman's shared id mapping; set sandbox.idsPerBurrow above \(max(user.uid, user.gid)) to give it its own"
            try mutate(id) { record in
                record.ids = nil
                record.warnings.append(warning)
            }
        }
        let plan = devcontainer
        try mutate(id) { record in
            record.user = user
            record.devcontainer = plan
        }
        guard let record = records[id] else { return }
        let base = try await run.crossing.enter(try crossingBurrow(record, user: user), repo: repo, base: fetched)
        try mutate(id) { record in
            record.baseCommit = base
            record.baseBranch = fetched.branch
            record.repoCopyMs = Double(Monotonic.now() - started) / 1e6
        }
        if records[id]?.ids != nil {
            prepareNextRange(RangeRequest(id: id, repo: repo, base: fetched, user: user, image: plan?.image ?? repo.image ?? config.image))
        }
    }

    /// Creates the turn's container (and the volumes it needs); returns its name.
    private func createContainer(_ run: BurrowRun, repo: RepoConfig) async throws -> String {
        let id = run.id, podman = run.podman
        guard let record = records[id] else { throw BurrowError.notFound(id: id) }
        let plan = try await containerPlan(run, record: record, repo: repo)
        // Volumes start owned by the agent's uid, whatever the image has (or lacks) at their paths.
        let owner = record.user.map { user in (record.ids?.outside(user) ?? user) }.map { ["o": "uid=\($0.uid),gid=\($0.gid)"] } ?? [:]
        for volume in record.ownVolumes where !(try await podman.volumeExists(volume)) {
            try await podman.createVolume(name: volume, labels: try instanceLabels(["io.burrow.id": id].merging(Self.idsLabels(record)) { $1 }),
                                          options: owner)
        }
        if let ids = record.ids {
            for cache in plan.caches { try await ensureSharedCache(cache, ids: ids, record: record, podman: podman) }
        }
        for cache in plan.caches where record.ids == nil {
            let volume = cache.volumeName(repo: record.repo)
            guard !(try await podman.volumeExists(volume)) else { continue }
            do {
                try await podman.createVolume(name: volume, labels: cache.labels(repo: record.repo), options: owner)
            } catch {
                // Another burrow starting at the same moment may have just created it.
                guard try await podman.volumeExists(volume) else { throw error }
            }
        }
        var spec = plan.spec
        try await adaptForRunner(&spec, run: run)
        let created: CreatedContainer
        do {
            created = try await podman.createContainer(spec)
        } catch {
            throw StateDirAccess.explained(error, stateDir: config.resolvedStateDir, podmanSocket: podman.socketPath)
        }
        try mutate(id) { $0.warnings = created.warnings }
        try await writeMCPConfig(record.container, user: record.user, repo: repo, podman: podman)
        if record.nestedContainers == true {
            let driver = NestedContainers.storageDriver(kernel: await freeSpace.facts(podman, runner: run.runner.name)?.kernel)
            try await podman.putArchive(record.container, path: NestedContainers.directory,
                                        tar: .bytes(NestedContainers.configArchive(owner: record.user ?? AgentIdentity(uid: 1000, gid: 1000), driver: driver)))
        }
        if config.taskInput == .stdin { try await writeTask(record, podman: podman) }
        return record.container
    }

    /// What a container of this burrow runs as: the turn's agent, or (`check`) the repo's check.
    func containerPlan(_ run: BurrowRun, record: BurrowRecord, repo: RepoConfig,
                       check: (name: String, command: [String])? = nil) async throws -> ContainerPlan {
        ContainerPlan(config: config, record: record, repo: repo, socketDirectory: socketsDirectory + "/" + run.id,
                      forwarderPath: forwarderPath, instance: try instanceLabels(),
                      seccompProfile: try SandboxLayout.seccompProfile(sandbox: config.sandbox, nestedContainers: record.nestedContainers == true,
                                                                       stateDir: config.resolvedStateDir),
                      cgroupsV2: await freeSpace.facts(run.podman, runner: run.runner.name)?.cgroupsV2 ?? false, check: check)
    }

    /// Claude Code's MCP configuration, written into the burrow's config volume (nothing from the
    /// host's ~/.claude.json: it can hold servers that carry the user's credentials).
    private func writeMCPConfig(_ container: String, user: AgentIdentity?, repo: RepoConfig, podman: PodmanClient) async throws {
        let servers = ContainerPlan.mcpServers(config: config, repo: repo)
        guard !servers.isEmpty else { return }
        var tar = TarWriter()
        let json = try JSONCoding.encoder.encode(["mcpServers": servers])
        let owner = user ?? AgentIdentity(uid: 1000, gid: 1000)
        tar.addFile("burrow-mcp.json", Array(json), mode: 0o644, uid: owner.uid, gid: owner.gid)
        try await podman.putArchive(container, path: ContainerPlan.claudeConfigDirectory, tar: .bytes(tar.finished()))
    }

    /// The turn's prompt, for the forwarder to hand to the agent's stdin (it removes the file then).
    private func writeTask(_ record: BurrowRecord, podman: PodmanClient) async throws {
        var tar = TarWriter()
        let owner = record.user ?? AgentIdentity(uid: 1000, gid: 1000)
        let name = String(ContainerPlan.taskPath(turn: record.turn).split(separator: "/").last!)
        tar.addFile(name, Array(ContainerPlan.prompt(record).utf8), mode: 0o600, uid: owner.uid, gid: owner.gid)
        try await podman.putArchive(record.container, path: ContainerPlan.claudeConfigDirectory, tar: .bytes(tar.finished()))
    }

    /// Opens the attach stream of a created container so that its first line is not missed. Podman
    /// answers the request only once the container runs, so it waits in a task; the container is
    /// started once Podman has initialized it for the attach: its `init` event, watched from before
    /// the attach is asked for, says so (no polling). At most 2 s: a start that still wins the race
    /// only costs order (the reconciliation after the exit brings any missed line in).
    func attachBeforeStart(_ container: String, id: String, podman: PodmanClient) async throws -> Task<LogStream, any Error> {
        let events = try? await podman.events(label: "io.burrow.id=\(id)")
        defer { events?.close() }
        let attached = Task { try await podman.attach(container) }
        // Podman without an event log (events_logger "none") cannot say: start now.
        guard let events else { return attached }
        do {
            _ = try await withTimeLimit(.seconds(2)) {
                while let event = try await events.next() {
                    if event.action == "init", event.actor?.attributes?["name"] == container { return }
                }
            }
        } catch where !(error is CancellationError) {
            // The event stream broke: start now, as after the time limit.
        }
        return attached
    }

    /// The uid and gid `user` has in `image` on `runner`, and who owns its /workspace (looked up once
    /// per runner, image and user).
    func imageFacts(image: String, user: String, on runner: Runner) async throws -> ImageFacts {
        let key = runner.name + "\u{0}" + image + "\u{0}" + user
        if let known = knownImageFacts[key] { return known }
        let facts = try await ImageFacts.probe(user, image: image, podman: runner.podman, labels: try instanceLabels([Self.probeProcessLabel: Self.probeProcess]))
        knownImageFacts[key] = facts
        return facts
    }

    func crossingBurrow(_ record: BurrowRecord, user: AgentIdentity) throws -> Crossing.Burrow {
        Crossing.Burrow(id: record.id, workspaceVolume: record.workspaceVolume,
                        labels: try instanceLabels(["io.burrow.id": record.id].merging(Self.idsLabels(record)) { $1 }), user: user, ids: record.ids,
                        storage: freeSpace.known(runner: record.runner ?? RunnerConfig.localName)?.storage)
    }

    /// `labels` stamped with this instance (the state dir's identity), as everything Burrow creates is.
    func instanceLabels(_ labels: [String: String] = [:]) throws -> [String: String] {
        try BurrowLabels.stamped(labels, config: config)
    }

    /// Changes how the repository crosses (tests: limits small enough to reach).
    func tuneCrossing(_ change: (inout Crossing) -> Void) { change(&crossing) }
}
