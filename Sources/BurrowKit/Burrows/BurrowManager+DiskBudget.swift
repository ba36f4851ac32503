import BurrowSystem
import BurrowPodman

/// `limits.disk`: a burrow's workspace, config volume and writable layer, and what the shared caches it
/// mounts grew by while it runs, measured by Podman (rootless Podman has no quotas here) every few
/// seconds. Past the budget the burrow is killed (no grace period to write on) and stopped with the
/// reason on its record; its work still comes home.
extension BurrowManager {
    /// Measures while any burrow runs (one `system df` per runner per round, for all its burrows).
    func watchDisk() {
        let watch = diskWatch
        watch.startOnce { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: watch.currentInterval)
                guard let self, !Task.isCancelled else { return }
                // Not cancelled halfway: a kill once decided is sent.
                await Task { await self.measureDisk() }.value
            }
        }
    }

    func measureDisk() async {
        let running = records.values.filter { $0.state == .running && !$0.stopRequested }
        diskWatch.forget(except: Set(running.map(\.id)))
        let byRunner = Dictionary(grouping: running) { $0.runner ?? RunnerConfig.localName }
        let limit = config.limits.diskBytes
        for burrows in byRunner.values {
            guard let first = burrows.first else { continue }
            let reading = await DiskUsageReading.read(podman(for: first.id))
            let usage: PodmanDiskUsage
            switch reading {
            case .success(let read):
                usage = read
                for record in burrows { diskWatch.measured(record.id) }
            case .failure(let failure):
                // A path vanishing under Podman's walk again and again, inside one burrow's volume, is
                // that burrow blinding the watch for every burrow (on purpose or by churn): it is stopped.
                if let path = failure.path, let culprit = await burrow(holding: path, among: burrows),
                   diskWatch.strike(culprit.id) >= DiskBudgetWatch.strikesToStop {
                    await stopOverDisk(culprit.id, reason: "its disk use could not be measured: files in its volumes kept vanishing while "
                                       + "Podman measured them (\(path.suffix(160))), so limits.disk could not hold it")
                }
                // The rest are not stopped for it (an unreachable Podman is measured next round), but told, once per failure.
                for record in burrows where diskWatch.unmeasured(record.id, reason: failure.reason) {
                    await noteUnmeasuredDisk(record.id, reason: failure.reason)
                }
                continue
            }
            for record in burrows {
                let caches = repo(named: record.repo).map { ContainerPlan.caches(config: config, repo: $0) } ?? []
                let volumes = caches.map { $0.volumeName(repo: record.repo) }
                let cacheSizes = Dictionary(volumes.map { ($0, usage.bytes(volumes: [$0], container: "")) }) { a, _ in a }
                let used = usage.bytes(volumes: record.ownVolumes, container: record.container)
                    + diskWatch.cacheGrowth(record.id, sizes: cacheSizes)
                if used > limit { await stopOverDisk(record.id, used: used, limit: limit) }
            }
        }
    }

    private func noteUnmeasuredDisk(_ id: String, reason: String) async {
        let text = "Burrow cannot measure this burrow's disk use, so limits.disk is not enforced until it can: \(reason)"
        guard let log = try? eventLog(id) else { return }
        _ = try? await log.append(kind: .log, data: Self.json(OutputEvent.LogLine(stream: "burrow", text: text)))
    }

    /// The running burrow one of whose own volumes holds `path` (their mount points asked of Podman
    /// once per burrow).
    private func burrow(holding path: String, among burrows: [BurrowRecord]) async -> BurrowRecord? {
        for record in burrows {
            var mountpoints = diskWatch.mountpoints(record.id)
            if mountpoints == nil {
                var found: [String] = []
                for volume in record.ownVolumes {
                    if let point = try? await podman(for: record.id).inspectVolume(volume).mountpoint { found.append(point) }
                }
                diskWatch.remember(record.id, mountpoints: found)
                mountpoints = found
            }
            if mountpoints?.contains(where: { path.hasPrefix($0 + "/") }) == true { return record }
        }
        return nil
    }

    private func stopOverDisk(_ id: String, used: Int64, limit: Int64) async {
        await stopOverDisk(id, reason: "disk budget of \(LimitsConfig.describe(limit)) reached: its workspace, config volume, writable layer, "
                           + "nested containers and caches' growth hold \(LimitsConfig.describe(used)); raise limits.disk")
    }

    private func stopOverDisk(_ id: String, reason: String) async {
        guard let record = records[id], record.state == .running, !record.stopRequested else { return }
        // Claimed before the kill's await, as a user's stop is (`stop(_:)`).
        try? mutate(id) { record in
            record.stopReason = reason
            record.stopRequested = true
        }
        if runs[id] != nil, life(id) != .finishing { enter(.stopping, id) }
        try? await podman(for: id).kill(record.container)
    }
}
