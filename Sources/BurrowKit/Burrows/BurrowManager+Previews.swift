import FoundationEssentials
import BurrowSystem
import BurrowPodman

/// Previews: the TCP ports a running burrow listens on, reached through a relay in its network
/// namespace (`PreviewRelay`); no host port, the burrow keeps `network: none`.
extension BurrowManager {
    /// What the page shows: the ports, or why there are none.
    public struct PreviewList: Codable, Sendable, Equatable {
        public var ports: [ListeningPort]
        /// Set when previews cannot be listed (not running, on a runner, relay failed).
        public var unavailable: String?
    }

    public func previews(_ id: String) async throws -> PreviewList {
        do {
            let relay = try await previewRelay(id)
            return PreviewList(ports: try await previewHub.ports(id, relay: relay, maxAge: .milliseconds(200)))
        } catch let error as PreviewError {
            if case .unknownBurrow = error { throw error }
            return PreviewList(ports: [], unavailable: error.description)
        }
    }

    /// A connection to `port` in burrow `id`: only to a port the kernel lists as listening (checked
    /// before any connection is made), through the relay.
    public func previewConnection(_ id: String, port: Int) async throws -> AsyncSocket {
        let relay = try await previewRelay(id)
        var listening = try await previewHub.ports(id, relay: relay, maxAge: .seconds(2))
        if !listening.contains(where: { $0.port == port }) {
            listening = try await previewHub.ports(id, relay: relay, maxAge: .zero)
        }
        guard let target = listening.first(where: { $0.port == port }) else { throw PreviewError.notListening(port: port) }
        return try await relay.connect(target)
    }

    /// Why burrow `id` has no previews now (nil: it can have some).
    public func previewBlocker(_ id: String) -> PreviewError? {
        guard let record = records[id] else { return .unknownBurrow(id) }
        guard record.state == .running else { return .notRunning(id: id, state: record.state.rawValue) }
        return nil
    }

    private func previewRelay(_ id: String) async throws -> PreviewRelay {
        if let blocker = previewBlocker(id) { throw blocker }
        guard let container = records[id]?.container else { throw PreviewError.unknownBurrow(id) }
        let podman = podman(for: id), forwarder = forwarderPath, remote = runner(for: id)?.remote
        let relay = try await previewHub.relay(id, container: container) {
            struct Inspect: Decodable {
                struct State: Decodable { let Pid: Int32?; let ConmonPid: Int32?; let Running: Bool? }
                let State: State
            }
            func running() async throws -> (pid: Int32, conmon: Int32?) {
                let state = try JSONDecoder().decode(Inspect.self, from: Data(try await podman.rawInspect(container).utf8)).State
                guard state.Running == true, let pid = state.Pid, pid > 0 else { throw PreviewError.notRunning(id: id, state: "not running") }
                return (pid, state.ConmonPid)
            }
            let (pid, conmon) = try await running()
            // The kernel's word that this pid is the container's (its parent is the container's conmon):
            // a pid from another machine's Podman, or one reused, names another namespace. On a remote
            // runner the relay's command asks that runner's kernel (`RemoteRunner.previewCommand`).
            guard let conmon, remote != nil || PreviewRelay.parent(of: pid) == conmon else {
                throw PreviewError.relayFailed("process \(pid) is not this container's on this host (its Podman may be another machine's)")
            }
            let relay = if let remote {
                try await remote.previewRelay(id: id, container: container, pid: pid, conmon: conmon, podman: podman, forwarder: forwarder)
            } else {
                try await PreviewRelay.start(container: container, pid: pid, forwarder: forwarder)
            }
            // Still the same running process once the relay is in: its pid was not reused in between
            // (a pid that ended and went to another process would be another namespace).
            guard (try? await running().pid) == pid else {
                await relay.stop()
                throw PreviewError.notRunning(id: id, state: "ending")
            }
            return relay
        }
        await previewHub.watch(id) { [weak self] in await self?.previewTick(id) ?? false }
        return relay
    }

    /// One look at `id`'s ports for the watcher: an event when they changed; false once the burrow's
    /// container is not the relay's any more (the relay is stopped then, and its ports are gone).
    private func previewTick(_ id: String) async -> Bool {
        guard previewBlocker(id) == nil, let container = records[id]?.container, let relay = await previewHub.current(id),
              relay.container == container, relay.isRunning else {
            if await previewHub.published(id, []) { await publishPreviews(id, []) }
            await previewHub.drop(id)
            return false
        }
        guard let ports = try? await previewHub.ports(id, relay: relay, maxAge: .zero) else { return true }
        if await previewHub.published(id, ports) { await publishPreviews(id, ports) }
        return true
    }

    private func publishPreviews(_ id: String, _ ports: [ListeningPort]) async {
        let data = Self.json(PreviewList(ports: ports))
        if let log = try? eventLog(id) { _ = try? await log.append(kind: .preview, data: data) }
    }
}
