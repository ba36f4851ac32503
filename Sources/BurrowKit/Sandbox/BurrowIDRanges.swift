import BurrowSystem
import BurrowPodman

/// Each burrow's own range of host ids: its container's uids and gids map to a slot of the Podman
/// user's subordinate ids that no other burrow running at the same time has, so one burrow's
/// processes and files are a different host uid than another's (no signals, no ptrace, no shared
/// process limit, no access to another's files beyond what "other" permits).
///
/// Ids are those of the Podman user's namespace (rootless: 0 is the Podman user, 1… its subordinate
/// ids, what libpod's `idmappings` speak). Slot 0, ids 0..<size, stays Podman's default mapping
/// (helpers, `shared` mode, older burrows); slot k (k ≥ 1) is ids k·size..<(k+1)·size, container id c
/// being k·size + c. Every burrow also gets one shared group, `cacheGroup` (id size − 1 of slot 0), as
/// its container gid `size`: the shared caches are that group's (setgid folders, umask 0002), so what
/// one burrow writes there the next can write too, and nothing else of a burrow is that group's.
/// The cost is paid once per slot: Podman keeps a copy of each image chowned for each mapping (6 s and
/// 842 MB for the agent image here), and a workspace template is built per slot and repo. So slots are
/// reused (those ready for the repo first, see `choose`) and at most `limit` are used
/// (`sandbox.idRanges`, 8 by default); past that, a new burrow shares a slot with burrows that are
/// not running, and never runs at once with them.
public struct BurrowIDRanges: Sendable, Equatable {
    public static let defaultSize = 2048
    public static let defaultRanges = 8
    public static let minimumSize = 1024
    public static let maximumSize = 1 << 20
    /// The umask that keeps files in the shared caches writable by the cache group.
    static let umask = "0002"

    public let size: Int
    /// The Podman user's namespace, as `/info` reports it (namespace id → host id).
    public let namespace: [ContainerSpec.IDMap]
    /// At most this many ranges are used (`sandbox.idRanges`).
    public let limit: Int

    public init(size: Int, namespace: [ContainerSpec.IDMap], limit: Int = .max) {
        self.size = size
        self.namespace = namespace
        self.limit = limit
    }

    /// From Podman's `/info`; nil when it reports no namespace (rootful Podman: no subordinate ids).
    public init?(size: Int, info: PodmanInfo, limit: Int = .max) {
        guard let map = info.host?.idMappings?.uidmap, !map.isEmpty else { return nil }
        self.init(size: size, namespace: map.map { ContainerSpec.IDMap(container: $0.container, host: $0.host, size: $0.size) }, limit: limit)
    }

    /// The highest id of the Podman user's namespace.
    var highest: Int { namespace.map { $0.container + $0.size - 1 }.max() ?? 0 }

    /// The slots there are room for, up to `limit` (none when the subordinate ids hold fewer than two ranges).
    public var slots: ClosedRange<Int>? {
        let count = min((highest + 1) / size - 1, limit)
        return count >= 1 ? 1...count : nil
    }

    /// The slot for a new burrow, among those that overlap no range another burrow holds: the lowest
    /// `prepared` one (its repo's workspace template and the image are already owned by it), else the
    /// lowest not `preparedForOthers` (kept ready for other repos), else the lowest free. When every
    /// slot is held, the lowest held only by burrows that are not running (they wait for it before
    /// their next turn). `held` and `running` are the other burrows' slots (of any size).
    public func choose(held: [IDSlot], running: [IDSlot], prepared: Set<Int> = [], preparedForOthers: Set<Int> = []) -> IDSlot? {
        guard let slots else { return nil }
        let candidates = slots.map { IDSlot(index: $0, size: size) }
        let free = candidates.filter { slot in !held.contains(where: slot.overlaps) }
        return free.first { prepared.contains($0.index) }
            ?? free.first { !preparedForOthers.contains($0.index) }
            ?? free.first
            ?? candidates.first { slot in !running.contains(where: slot.overlaps) }
    }

    /// The range to make ready next for a repo that wants `target` free ranges ready: nil when as many
    /// free ranges as that are `prepared` already, or no free range is left to prepare. Among the free
    /// ones not prepared, the lowest not `preparedForOthers` first (as `choose` takes them).
    public func toPrepare(target: Int, held: [IDSlot], prepared: Set<Int>, preparedForOthers: Set<Int> = []) -> IDSlot? {
        guard let slots else { return nil }
        let free = slots.map { IDSlot(index: $0, size: size) }.filter { slot in !held.contains(where: slot.overlaps) }
        guard free.filter({ prepared.contains($0.index) }).count < target else { return nil }
        let unprepared = free.filter { !prepared.contains($0.index) }
        return unprepared.first { !preparedForOthers.contains($0.index) } ?? unprepared.first
    }
}

/// One burrow's range: ids index·size..<(index+1)·size of the Podman user's namespace, kept on its
/// record for its whole life (every turn and helper runs in it: its workspace's files are its own).
public struct IDSlot: Codable, Sendable, Equatable {
    public let index: Int
    public let size: Int

    public init(index: Int, size: Int) {
        self.index = index
        self.size = size
    }

    var range: Range<Int> { index * size..<(index + 1) * size }
    func overlaps(_ other: IDSlot) -> Bool { range.overlaps(other.range) }

    /// A container id of this range in the Podman user's namespace.
    public func namespaceID(_ id: Int) -> Int { index * size + id }

    /// The cache group: its id in the Podman user's namespace, and as the burrow's container sees it.
    public var cacheGroup: Int { size - 1 }
    public var cacheGroupInside: Int { size }

    public var mappings: ContainerSpec.IDMappings {
        let own = ContainerSpec.IDMap(container: 0, host: index * size, size: size)
        return .init(uids: [own], gids: [own, .init(container: cacheGroupInside, host: cacheGroup, size: 1)])
    }

    /// The host uids of this range (for the egress socket's peer check), through `namespace`.
    public func hostUIDs(namespace: [ContainerSpec.IDMap]) -> [ClosedRange<UInt32>] {
        let low = range.lowerBound, high = range.upperBound - 1
        return namespace.compactMap { entry in
            let start = max(low, entry.container), end = min(high, entry.container + entry.size - 1)
            guard start <= end, let first = UInt32(exactly: entry.host + start - entry.container),
                  let last = UInt32(exactly: entry.host + end - entry.container) else { return nil }
            return first...last
        }
    }

    /// The agent's identity as the Podman user's namespace sees it (what owns its workspace template).
    func outside(_ user: AgentIdentity) -> AgentIdentity { AgentIdentity(uid: namespaceID(user.uid), gid: namespaceID(user.gid)) }
}
