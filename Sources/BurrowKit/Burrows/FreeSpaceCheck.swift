import BurrowSystem
import BurrowPodman

/// Before a launch: the host must keep room for what a burrow writes. Its events and result go to the
/// state dir; its workspace, volumes and writable layer to Podman's storage. Below `limits.minFreeDisk`
/// on either (and never below what one burrow's record needs), the launch is refused and nothing starts.
enum FreeSpaceCheck {
    /// Below this, whatever the config says: a burrow's events and result would not fit.
    static let floorBytes: Int64 = 64 << 20

    static func check(stateDir: String, podman: PodmanClient, limits: LimitsConfig) async throws(BurrowError) {
        let minimum = max(floorBytes, limits.minFreeDiskBytes)
        let fix = "free some space, or lower limits.minFreeDisk (now \(LimitsConfig.describe(minimum)))"
        if let free = FileSystem.freeBytes(stateDir), free < minimum {
            throw .stateDirFull("the state dir's filesystem has only \(LimitsConfig.describe(free)) free",
                                detail: "Burrow keeps \(LimitsConfig.describe(minimum)) free in \(stateDir) for burrows' events and results; \(fix) or move stateDir")
        }
        // Podman's storage is often another user's home: only Podman can say how full it is.
        guard let store = try? await podman.info().store, let free = store.graphRootFree, free < minimum else { return }
        throw .stateDirFull("Podman's storage (\(store.graphRoot ?? "graphRoot")) has only \(LimitsConfig.describe(free)) free",
                            detail: "burrows' workspaces and containers live there and Burrow keeps \(LimitsConfig.describe(minimum)) free; \(fix); `podman system prune` removes what no container uses")
    }
}
