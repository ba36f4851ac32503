import BurrowSystem
import BurrowPodman

/// Before a launch: the host must keep room for what a burrow writes. Its events and result go to the
/// state dir; its workspace, volumes and writable layer to Podman's storage. Below `limits.minFreeDisk`
/// on either (and never below what one burrow's record needs), the launch is refused and nothing starts.
final class FreeSpaceCheck: Sendable {
    /// Below this, whatever the config says: a burrow's events and result would not fit.
    static let floorBytes: Int64 = 64 << 20

    /// What does not change while Burrow runs, per runner: `podman info` takes half a second, so it is
    /// asked once, not at every launch.
    struct HostFacts: Sendable {
        let cgroupsV2: Bool
        let graphRoot: String?
        var kernel: String? = nil
        var graphDriver: String? = nil
        var podmanVersion: String? = nil

        var storage: Crossing.PodmanStorage? {
            graphRoot.flatMap { root in
                graphDriver.map { Crossing.PodmanStorage(graphRoot: root, driver: $0, leavesImageVolumeRoots: Crossing.PodmanStorage.leavesImageVolumeRoots(podmanVersion)) }
            }
        }
    }
    private let known = Locked<[String: HostFacts]>([:])

    /// The facts already asked for `runner`, without asking.
    func known(runner: String) -> HostFacts? { known.withLock { $0[runner] } }

    func facts(_ podman: PodmanClient, runner: String) async -> HostFacts? {
        if let facts = known.withLock({ $0[runner] }) { return facts }
        guard let info = try? await podman.info() else { return nil }
        let facts = HostFacts(cgroupsV2: info.cgroupVersion == "v2", graphRoot: info.store?.graphRoot, kernel: info.host?.kernel,
                              graphDriver: info.store?.graphDriverName, podmanVersion: info.version?.Version)
        known.withLock { $0[runner] = facts }
        return facts
    }

    func check(stateDir: String, podman: PodmanClient, limits: LimitsConfig) async throws(BurrowError) {
        let minimum = max(Self.floorBytes, limits.minFreeDiskBytes)
        let fix = "free some space, or lower limits.minFreeDisk (now \(LimitsConfig.describe(minimum)))"
        if let free = FileSystem.freeBytes(stateDir), free < minimum {
            throw .stateDirFull("the state dir's filesystem has only \(LimitsConfig.describe(free)) free",
                                detail: "Burrow keeps \(LimitsConfig.describe(minimum)) free in \(stateDir) for burrows' events and results; \(fix) or move stateDir")
        }
        guard let (graphRoot, free) = await podmanStorageFree(podman), free < minimum else { return }
        throw .stateDirFull("Podman's storage (\(graphRoot)) has only \(LimitsConfig.describe(free)) free",
                            detail: "burrows' workspaces and containers live there and Burrow keeps \(LimitsConfig.describe(minimum)) free; \(fix); `podman system prune` removes what no container uses")
    }

    /// Read here when Burrow may look at the folder (the same user); else (a dedicated Podman user's
    /// home) only Podman can say, at the cost of an `info`.
    private func podmanStorageFree(_ podman: PodmanClient) async -> (String, Int64)? {
        if let root = await facts(podman, runner: RunnerConfig.localName)?.graphRoot, let free = FileSystem.freeBytes(root) {
            return (root, free)
        }
        guard let store = try? await podman.info().store, let free = store.graphRootFree else { return nil }
        return (store.graphRoot ?? "graphRoot", free)
    }
}
