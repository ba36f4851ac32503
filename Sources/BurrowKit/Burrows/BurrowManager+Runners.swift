import FoundationEssentials
import BurrowSystem
import BurrowPodman

/// Where each burrow runs: the queue goes to runners by `RunnerSelection`, a burrow stays on its
/// runner for every turn (its workspace is a volume there), and a remote burrow gets there what a
/// local one gets from host paths (see `RemoteRunner`).
extension BurrowManager {
    static func makeRunners(config: Config, podman: PodmanClient, labels: [String: String]) throws -> [Runner] {
        try config.allRunners.map { runner in
            runner.isLocal ? Runner(local: runner, podman: podman)
                : try Runner(remote: runner, stateDir: config.resolvedStateDir, labels: labels)
        }
    }

    func runner(for id: String) -> Runner? {
        let name = records[id]?.runner ?? RunnerConfig.localName
        return runners.first { $0.name == name }
    }

    /// The Podman that holds burrow `id`'s containers and volumes.
    func podman(for id: String) -> PodmanClient { runner(for: id)?.podman ?? localPodman }

    func candidates() -> [RunnerSelection.Candidate] {
        runners.map { runner in
            let running = runs.keys.count { (records[$0]?.runner ?? RunnerConfig.localName) == runner.name }
            return .init(name: runner.name, labels: Set(runner.config.labels ?? []), maxConcurrent: runner.maxConcurrent,
                         repos: runner.config.repos, running: running, reachable: runner.reachable)
        }
    }

    func selectionRequest(_ record: BurrowRecord) -> RunnerSelection.Request {
        .init(repo: record.repo, gpu: record.gpu, pinned: record.runner)
    }

    /// Starts every queued turn that has a runner with room, in queue order; the rest wait. A turn no
    /// runner may ever take ends failed with each runner's reason. Slots are counted from the live
    /// runs; a burrow whose previous run is still finishing, or whose branch is being pushed, waits
    /// for it (`mayStartTurn`). Once shutting down nothing starts: the queue is kept for the next start.
    func schedule() {
        guard !shuttingDown else { return }
        var waiting: [String] = []
        for id in queue {
            guard let record = records[id] else { continue }
            guard mayStartTurn(id) else {
                waiting.append(id)
                continue
            }
            switch RunnerSelection.decide(selectionRequest(record), among: candidates()) {
            case .run(let name):
                _ = try? mutate(id) { $0.runner = name }
                startRun(id, .turnStarting) { manager, run in await manager.turn(run) }
            case .wait:
                waiting.append(id)
            case .impossible(let reason):
                startRun(id, .finishing) { manager, run in await manager.finish(run, exitCode: nil, failure: reason) }
            }
        }
        queue = waiting
    }

    /// Starts the remote runners' connections, and for each a child of the supervisor that looks at
    /// the queue again whenever the runner comes up or goes down (its connection calls in).
    func startRunners() {
        for runner in runners {
            runner.start()
            guard let tunnel = runner.remote?.tunnel else { continue }
            _ = supervisor.start { [weak self] in
                while !Task.isCancelled {
                    let seen = tunnel.connectivity.generation
                    await self?.schedule()
                    do { try await tunnel.connectivity.wait(past: seen) } catch { return }
                }
            }
        }
    }

    /// Refuses at launch what no runner may ever take; says whether the image must already be in the
    /// local Podman (only when nothing but the local runner can take it: a remote runner gets the
    /// image copied when it lacks it).
    func checkRunners(repo: String, gpu: Bool, runner: String?) throws -> Bool {
        let request = RunnerSelection.Request(repo: repo, gpu: gpu, pinned: runner)
        let possible = candidates().filter { RunnerSelection.refusal($0, request) == nil }
        if possible.isEmpty, case .impossible(let reason) = RunnerSelection.decide(request, among: candidates()) {
            throw BurrowError.invalid(reason)
        }
        return possible.allSatisfy { $0.name == RunnerConfig.localName }
    }

    /// First of a remote burrow's turn: the SSH connection, the agent image (copied from the local
    /// Podman if the runner lacks it; a devcontainer's is built there) and the forwarder's volume.
    func prepareRunner(_ run: BurrowRun, image: String?) async throws {
        let runner = run.runner
        guard let remote = runner.remote else { return }
        try await remote.tunnel.waitConnected()
        if let image, try await !runner.podman.imageExists(image), try await localPodman.imageExists(image) {
            try await localPodman.copyImage(image, to: runner.podman)
        }
        _ = try await remote.forwarderVolume(podman: runner.podman, forwarder: forwarderPath)
    }

    /// The container spec for the burrow's runner (unchanged for the local one), and the egress
    /// socket's way back here, once the agent's uid is known (it leads to the proxy's socket once that listens).
    func adaptForRunner(_ spec: inout ContainerSpec, run: BurrowRun) async throws {
        let id = run.id, runner = run.runner
        guard let remote = runner.remote else { return }
        if config.network.mode == .allowlist { try await openRemoteEgress(id, remote: remote) }
        // A runner has the profile against nested namespaces only; nested containers get Podman's default
        // there (they run, but `podman build` cannot chroot: README).
        let nested = spec.seccompProfilePath?.hasSuffix(SeccompProfile.nestedContainersFileName) == true
        let seccomp = spec.seccompProfilePath == nil || nested ? nil : try await remote.seccompProfile()
        RemoteRunner.adapt(&spec, forwarderVolume: try await remote.forwarderVolume(podman: runner.podman, forwarder: forwarderPath),
                           socketFolder: try await remote.socketFolder(id), seccompProfile: seccomp)
    }

    /// After a restart, a running remote burrow's egress socket is forwarded again before it is
    /// followed. One whose runner is no longer configured cannot be followed: it ends failed, saying so.
    func rejoinRunner(_ run: BurrowRun) async -> Bool {
        let id = run.id
        if let name = records[id]?.runner, runner(for: id) == nil {
            await finish(run, exitCode: nil, failure: "runner \(name) is not in the configuration any more: its container may still run there, and its work cannot come home")
            return false
        }
        guard config.network.mode == .allowlist, records[id]?.network == NetworkConfig.Mode.allowlist.rawValue,
              let remote = run.runner.remote else { return true }
        try? await openRemoteEgress(id, remote: remote)
        return true
    }

    /// Only the burrow's agent uid (as the runner's Podman user namespace sees it) reaches the socket
    /// there; the bundle of the burrow's CA that its proxy wrote here goes beside it.
    private func openRemoteEgress(_ id: String, remote: RemoteRunner) async throws {
        let user = records[id]?.user ?? AgentIdentity(uid: 1000, gid: 1000)
        let owner = records[id]?.ids?.outside(user) ?? user
        let folder = socketsDirectory + "/" + id
        let bundle = folder + "/" + BoxTrust.bundleName
        try await remote.openEgress(id, local: folder + "/" + SandboxLayout.socketName, owner: owner,
                                    bundle: FileSystem.exists(bundle) ? bundle : nil)
    }

    func shutdownRunners() async {
        for runner in runners { await runner.remote?.tunnel.shutdown() }
    }

    /// This instance's orphans on the local Podman and on every connected remote runner (each item
    /// naming its runner; a runner that cannot be asked is named, not waited for). What a burrow
    /// launched during the search made is not counted: its record is looked at again afterwards.
    public func orphans() async throws -> OrphanReport {
        let stateDir = config.resolvedStateDir
        var owners = Set(records.values.filter { !$0.tornDown }.map(\.id))
        var report = try await Orphans.find(podman: localPodman, owners: owners, stateDir: stateDir)
        for runner in runners where runner.remote != nil {
            guard runner.reachable, let remote = try? await Orphans.find(podman: runner.podman, owners: owners, stateDir: stateDir,
                                                                          templates: stateDir + "/runners/" + runner.name) else {
                report.unaskedRunners = (report.unaskedRunners ?? []) + [runner.name]
                continue
            }
            func on(_ items: [OrphanReport.Item]) -> [OrphanReport.Item] { items.map { item in var item = item; item.runner = runner.name; return item } }
            report.containers += on(remote.containers)
            report.volumes += on(remote.volumes)
            report.otherInstances += remote.otherInstances
        }
        owners = Set(records.values.filter { !$0.tornDown }.map(\.id))
        report.containers.removeAll { owners.contains($0.burrow) }
        report.volumes.removeAll { owners.contains($0.burrow) }
        return report
    }

    /// The runners as the UI and `doctor` show them.
    public func runnerStates() -> [RunnerState] {
        candidates().map { candidate in
            let runner = runners.first { $0.name == candidate.name }
            return RunnerState(name: candidate.name, remote: runner?.remote != nil, labels: (runner?.config.labels ?? []).sorted(),
                               maxConcurrent: candidate.maxConcurrent, running: candidate.running, reachable: candidate.reachable,
                               repos: candidate.repos, lastError: runner?.remote?.tunnel.lastError)
        }
    }
}

public struct RunnerState: Codable, Sendable, Equatable {
    public let name: String
    public let remote: Bool
    public let labels: [String]
    public let maxConcurrent: Int
    public let running: Int
    public let reachable: Bool
    public let repos: [String]?
    public let lastError: String?
}
