import BurrowSystem
import BurrowPodman

/// Each burrow in its own host id range (`sandbox.userNamespace` `perBurrow`, see `BurrowIDRanges`).
extension BurrowManager {
    static let idsLabel = "io.burrow.ids"

    /// The Podman user's id ranges, asked of Podman once.
    func idRanges() async throws -> BurrowIDRanges {
        if let known = knownIDRanges { return known }
        let info = try await podman.info()
        let size = config.sandbox.resolvedIDsPerBurrow
        guard let ranges = BurrowIDRanges(size: size, info: info, limit: config.sandbox.resolvedIDRanges), ranges.slots != nil else {
            throw BurrowError.invalid("Podman's user has too few subordinate ids for a range of \(size) ids per burrow (sandbox.idsPerBurrow)",
                                      detail: "burrow doctor gives the exact fix: more subordinate ids for Podman's user, a lower sandbox.idsPerBurrow, or sandbox.userNamespace \"shared\"")
        }
        knownIDRanges = ranges
        return ranges
    }

    /// Gives a first turn its own id range, the lowest no other burrow (of any Burrow on this Podman)
    /// holds, or the range another attempt of its group holds (`groupRange`); then waits while
    /// another running burrow, not of its group, shares it (possible only once every range is held
    /// by a burrow that keeps its workspace).
    func claimIDs(_ run: BurrowRun) async throws {
        let id = run.id
        guard let record = records[id] else { return }
        if record.ids == nil {
            // Ranges are cut from the local Podman user's subordinate ids; a remote runner's burrows
            // keep its Podman's default mapping.
            guard record.turn == 1, config.sandbox.perBurrowIDs, run.runner.remote == nil else { return }
            let ranges = try await idRanges()
            while records[id]?.ids == nil {
                let seen = lifeChanged.generation
                if let shared = groupRange(of: record) {
                    try mutate(id) { $0.ids = shared }
                    break
                }
                // Nothing awaited from the choice to the record's change: no other claim in this Burrow interleaves.
                let choice = try await chooseRange(for: repo(named: record.repo), except: id, ranges: ranges).slot
                if let slot = groupRange(of: record) ?? choice {
                    try mutate(id) { $0.ids = slot }
                } else {
                    // Every range has a running burrow (sandbox.idRanges below maxConcurrent): wait for one to end.
                    try await waitForARunToEnd(id, past: seen)
                }
            }
        }
        // Only runs past this point count: two that started at once, each waiting for the other
        // while still claiming, would wait for ever. Nothing is awaited between the look and the mark.
        while let mine = records[id]?.ids, records.values.contains(where: { other in
            other.id != id && runs[other.id]?.occupiesRange == true && other.ids.map(mine.overlaps) == true && !sameGroup(other, records[id]) }) {
            try await waitForARunToEnd(id, past: lifeChanged.generation)
        }
        runs[id]?.holdsRange = true
    }

    /// The range another attempt of `record`'s group (same repo, workspace kept) holds: a group's
    /// attempts are one person's one task, so they share a range and with it the range's template,
    /// each attempt's workspace its own copy-on-write layer over it (README, "Each burrow its own host uids").
    func groupRange(of record: BurrowRecord) -> IDSlot? {
        records.values.first { $0.id != record.id && !$0.tornDown && sameGroup($0, record) && $0.ids != nil }?.ids
    }

    private func sameGroup(_ one: BurrowRecord, _ other: BurrowRecord?) -> Bool {
        one.group != nil && one.group == other?.group && one.repo == other?.repo
    }

    /// Waits until a run ends after `seen` (or a stop is asked for: `stop` wakes the waiters too).
    private func waitForARunToEnd(_ id: String, past seen: UInt64) async throws {
        try await lifeChanged.wait(past: seen)
        try checkStop(id)
    }

    /// The range a new burrow of `repo` would get now (`BurrowIDRanges.choose`), the ranges other
    /// burrows hold (their records, and their volumes' labels: any Burrow on this Podman), and the
    /// ranges ready for `repo`. `id`'s own range is left out. Nothing is awaited after the records are read.
    func chooseRange(for repo: RepoConfig?, except id: String, ranges: BurrowIDRanges) async throws
        -> (slot: IDSlot?, held: [IDSlot], ready: Set<Int>) {
        let volumes = try await podman.listVolumes(label: Self.idsLabel)
        let containers = try await podman.listContainers(label: Self.idsLabel)
        let others = records.values.filter { $0.id != id && !$0.tornDown }
        let held = others.compactMap(\.ids) + volumes.compactMap { IDSlot(label: $0.labels?[Self.idsLabel]) }
        let running = others.filter { runs[$0.id] != nil }.compactMap(\.ids)
            + containers.filter { $0.labels?["io.burrow.id"] != id && $0.state != "exited" && $0.state != "stopped" }
            .compactMap { IDSlot(label: $0.labels?[Self.idsLabel]) }
        let prepared = repo.map { crossing.templates.preparedRanges($0) }
        let slot = ranges.choose(held: held, running: running, prepared: prepared?.mine ?? [], preparedForOthers: prepared?.others ?? [])
        return (slot, held, prepared?.mine ?? [])
    }

    /// Labels of everything a burrow in its own range creates: other Burrows on this Podman see it held.
    static func idsLabels(_ record: BurrowRecord) -> [String: String] {
        record.ids.map { [idsLabel: $0.label] } ?? [:]
    }

    /// The peers the burrow's egress socket serves: its own range's uids (and Burrow's), when known.
    func peers(_ id: String) -> BurrowPeers {
        guard let ids = records[id]?.ids, let ranges = knownIDRanges else { return BurrowPeers.forPodman(socketPath: podman.socketPath) }
        return BurrowPeers.ownRange(ids.hostUIDs(namespace: ranges.namespace))
    }

    /// A shared cache for burrows in their own ranges: a volume of the cache group, setgid and group-
    /// writable (umask 0002 in burrows keeps what they write there group-writable). A new one's root
    /// belongs to the Podman user (id 0), which no burrow is. One made before (by burrows in Podman's
    /// default namespace, as the agent's uid) is handed to the group once, by a helper as that uid:
    /// an owner may give its own files to a group it is in, so the helper needs no capability.
    func ensureSharedCache(_ cache: CacheConfig, ids: IDSlot, record: BurrowRecord, podman: PodmanClient) async throws {
        let volume = cache.volumeName(repo: record.repo), group = ids.cacheGroup
        let marker = config.resolvedStateDir + "/run/caches/\(volume).group-\(group)"
        var owner = AgentIdentity(uid: 0, gid: group)
        var command = ["/bin/chmod", "2775", "/cache"]
        if try await podman.volumeExists(volume) {
            let labels = try await podman.inspectVolume(volume).labels ?? [:]
            guard labels["io.burrow.cache-group"] != String(group), !FileSystem.exists(marker) else { return }
            owner = AgentIdentity(uid: record.user?.uid ?? 1000, gid: group)
            command = ["/bin/sh", "-c", "chgrp -R -h \(group) /cache; chmod -R g+rwX /cache; find /cache -type d -exec chmod g+s {} +; chmod 2775 /cache"]
        } else {
            do {
                try await podman.createVolume(name: volume, labels: cache.labels(repo: record.repo).merging(["io.burrow.cache-group": String(group)]) { $1 },
                                              options: ["o": "uid=0,gid=\(group)"])
            } catch {
                // Another burrow starting at the same moment may have just created it (and sets its mode).
                guard try await podman.volumeExists(volume) else { throw error }
                return
            }
        }
        let helper = HelperContainer(podman: podman, image: try await HelperImage.ensure(podman), name: "\(volume)-setup-\(record.id)",
                                     labels: try instanceLabels(["io.burrow.id": record.id]), user: owner,
                                     volumes: [.init(name: volume, destination: "/cache")], step: "preparing the shared cache \(cache.name)")
        _ = try await helper.run(command) { _, _, _ in () }
        if owner.uid != 0 {
            try FileSystem.createDirectories(config.resolvedStateDir + "/run/caches", mode: 0o700)
            try FileSystem.writeAtomically([], to: marker, mode: 0o600)
        }
    }
}

extension IDSlot {
    /// `index/size`, the `io.burrow.ids` label.
    var label: String { "\(index)/\(size)" }

    init?(label: String?) {
        guard let parts = label?.split(separator: "/"), parts.count == 2, let index = Int(parts[0]), let size = Int(parts[1]),
              index >= 0, size > 0, index <= Int(Int32.max) / size else { return nil }
        self.init(index: index, size: size)
    }
}
