import FoundationEssentials
import BurrowSystem
import BurrowPodman

/// Each allowlist burrow's egress socket: its proxy, opened and closed with its turns.
extension BurrowManager {
    /// Opens the burrow's egress socket (again, after a restart: the container mounted its folder).
    func startProxy(_ run: BurrowRun, repo: RepoConfig) throws {
        let id = run.id
        let repo = repo.narrowed(by: records[id])
        let folder = socketsDirectory + "/" + id
        // Traversable, not listable: Podman (perhaps another user) bind-mounts it; who is served is
        // decided by the proxy's peer check.
        try FileSystem.createDirectories(folder, mode: 0o711)
        FileSystem.setMode(folder, 0o711)
        let rules = try networkRules(repo: repo)
        let policy = EgressPolicy(allow: allowlist(repo: repo), resolve: config.network.resolve,
                                  modelHosts: EgressPolicy.modelHosts(config), rules: rules)
        let asks = askDesk(id, settings: records[id]?.asking ?? config.askSettings(repo: repo))
        // A remote runner's box gets a copy of the bundle (`openRemoteEgress`); the CA's key stays here.
        let interception = try interception(for: id, folder: folder, repo: repo)
        let model = vault.map { ModelEndpoint(config: config, vault: $0, record: records[id]) }
        // A remote burrow's connections arrive relayed by OpenSSH; a local one's from its own id range.
        let peers = run.runner.remote != nil ? run.runner.peers(localPodman: localPodman) : peers(id)
        let audit = try BurrowAudit(path: auditPath(id), limit: Int(config.limits.eventLogBytes))
        let proxy = try EgressProxy(socketPath: folder + "/" + SandboxLayout.socketName, policy: policy, model: model,
                                    limits: ProxyLimits(config.network), asks: asks, interception: interception,
                                    allowPeer: { peers.allows($0) }) { [weak self] event in
            let event = policy.namingRule(event)
            await audit.record(event)
            await self?.recordNet(event, id: id)
        }
        // Owned by the run: stopped and awaited when its turn finishes or the run ends.
        runs[id]?.egress = EgressRun(proxy: proxy, serving: Task { await proxy.run() }, audit: audit)
    }

    /// Closes the run's egress socket, awaits its proxy's end and removes the socket's folder.
    func stopProxy(_ id: String) async {
        let egress = runs[id]?.egress
        runs[id]?.egress = nil
        await egress?.stop()
        FileSystem.removeTree(socketsDirectory + "/" + id)
    }

    func auditPath(_ id: String) -> String { folder(id) + "/" + BurrowAudit.fileName }

    /// The burrow's audit trail as it is now (empty before its first connection); kept after teardown.
    public func audit(_ id: String) throws(BurrowError) -> FileSlice? {
        _ = try record(id)
        return BurrowAudit.slice(path: auditPath(id))
    }

    func recordNet(_ event: NetEvent, id: String) async {
        await note(id) { $0.account(event) }
        if let log = try? eventLog(id) { _ = try? await log.append(kind: .net, data: Self.json(event)) }
        if event.keyRefused == true { await stopForRefusedKey(id) }
        await noteModelFirstByte(event, id: id)
    }

    /// A refused key fails every later call too: the burrow ends now, its reason kept (see `account`).
    private func stopForRefusedKey(_ id: String) async {
        guard let record = records[id], record.state == .running, !record.stopRequested else { return }
        // Claimed before the kill's await, as a user's stop is (`stop(_:)`); `account` set the reason.
        try? mutate(id) { $0.stopRequested = true }
        if runs[id] != nil, life(id) != .finishing { enter(.stopping, id) }
        try? await podman(for: id).kill(record.container)
    }
}
