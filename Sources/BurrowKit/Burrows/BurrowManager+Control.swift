import FoundationEssentials
import BurrowSystem
import BurrowPodman

/// The user's hands on a burrow: stop it, tear it down.
extension BurrowManager {
    /// Stops a burrow: a queued one at once; a running one through Podman; one being prepared at the
    /// next step of its preparation, or right after its container starts.
    public func stop(_ id: String) async throws -> BurrowRecord {
        let record = try record(id)
        guard !record.state.isFinal else { return record }
        try mutate(id) { $0.stopRequested = true }
        if runs[id] != nil, life(id) != .finishing { enter(.stopping, id) }
        // A preparation waiting for an id range looks at the stop now.
        lifeChanged.wake()
        switch records[id]?.state {
        case .queued?:
            queue.removeAll { $0 == id }
            let stopped = try await update(id) { $0.state = .stopped }
            if let log = try? eventLog(id) { try await log.append(kind: .end, data: Self.json(stopped)) }
        case .running?:
            if let container = records[id]?.container { try? await podman(for: id).stop(container, timeout: 10) }
            // The turn's check may be running after the agent: it ends too (see `runCheck`).
            if records[id]?.check?.status == .running, let container = records[id]?.container { try? await podman(for: id).kill(container + "-check") }
        default:
            break
        }
        return records[id] ?? record
    }

    /// Removes the burrow's containers and volumes (caches stay); `purge` forgets its record too;
    /// `deleteBranch` first deletes its branch in the user's repo (refused if the user moved it).
    public func teardown(_ id: String, purge: Bool, deleteBranch: Bool = false) async throws {
        let record = try record(id)
        guard record.state.isFinal, record.queuedMessages.isEmpty else {
            throw BurrowError.conflict("burrow \(id) is \(record.state.rawValue)", detail: "stop it first (POST /api/burrows/\(id)/stop)")
        }
        if openingShells[id] != nil {
            throw BurrowError.conflict("a shell session is opening in burrow \(id)", detail: "try the teardown again in a moment")
        }
        // Claimed before the first await: from here until the volumes are gone, a follow-up message is
        // refused instead of starting a turn on them (the branch's deletion included).
        try claim(.tearingDown, id)
        defer { release(id) }
        if deleteBranch, record.branch != nil { _ = try await removeBranch(id) }
        await endAsks(id, "the burrow was torn down")
        do {
            try await removeContainersAndVolumes(record)
        } catch let error as PodmanError {
            throw BurrowError.podmanUnavailable("teardown failed: \(error.description)")
        }
        try await update(id) { $0.tornDown = true }
        if purge {
            await logs[id]?.close()
            logs[id] = nil
            store.purge(id)
        }
    }

    /// Every turn's container and every helper carries the burrow's label. A container made with one
    /// of its volumes while that volume is removed (a shell's copy, started just before the teardown
    /// was claimed) makes Podman refuse the volume's removal (409) after it deleted the folder: the
    /// volume would stay listed without it, breaking `system df`. So the containers are listed again
    /// and the removal retried.
    private func removeContainersAndVolumes(_ record: BurrowRecord) async throws {
        let podman = podman(for: record.id)
        for attempt in 1...3 {
            for container in try await podman.listContainers(label: "io.burrow.id=\(record.id)") { try await podman.remove(container.id) }
            do {
                for volume in record.ownVolumes { try await podman.removeVolume(volume, force: true) }
            } catch PodmanError.api(_, 409, _, _) where attempt < 3 {
                continue
            }
            // One made meanwhile on a removed volume had Podman make the volume again (its folder then
            // went with the removal): both go, in the next round.
            var left = try await podman.listContainers(label: "io.burrow.id=\(record.id)").map { $0.names.first ?? $0.id }
            for volume in record.ownVolumes where try await podman.volumeExists(volume) { left.append(volume) }
            if left.isEmpty { return }
            if attempt == 3 { throw PodmanError.api(operation: "teardown", status: 409, cause: "", message: "still left: " + left.joined(separator: ", ")) }
        }
    }
}
