import BurrowSystem
import BurrowPodman
import Glibc

/// The host uids a burrow's processes run as, for the egress socket's peer check (SO_PEERCRED).
/// Rootless Podman runs a container's root as the Podman user and every other container uid as one
/// of that user's subordinate uids (/etc/subuid); another local user is none of these. Burrow's own
/// uid is allowed too (it can read its own memory, key included, anyway).
public struct BurrowPeers: Sendable, Equatable {
    public let uids: [ClosedRange<UInt32>]
    /// Rootful Podman: container uids are host uids, so no uid tells a burrow from a local user.
    public let checks: Bool

    public init(uids: [ClosedRange<UInt32>], checks: Bool = true) {
        self.uids = uids
        self.checks = checks
    }

    public func allows(_ uid: UInt32) -> Bool {
        !checks || uids.contains { $0.contains(uid) }
    }

    /// A burrow in its own id range: only that range's uids (and Burrow's own), not other burrows'.
    public static func ownRange(_ uids: [ClosedRange<UInt32>]) -> BurrowPeers {
        BurrowPeers(uids: [geteuid()...geteuid()] + uids)
    }

    /// For the Podman whose API socket is at `podmanSocket`: its owner is the Podman user.
    public static func forPodman(socketPath podmanSocket: String, subuidFile: String = "/etc/subuid") -> BurrowPeers {
        var status = stat()
        guard stat(podmanSocket, &status) == 0 else { return BurrowPeers(uids: [geteuid()...geteuid()]) }
        let owner = status.st_uid
        guard owner != 0 else { return BurrowPeers(uids: [], checks: false) }
        let name = getpwuid(owner).map { String(cString: $0.pointee.pw_name) }
        let text = (try? FileSystem.readFile(subuidFile, limit: 1 << 20)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        var uids: [ClosedRange<UInt32>] = [owner...owner, geteuid()...geteuid()]
        uids += subordinateRanges(text, user: name, uid: owner)
        return BurrowPeers(uids: uids)
    }

    /// `name:start:count` or `uid:start:count` lines of /etc/subuid for one user.
    static func subordinateRanges(_ text: String, user: String?, uid: uid_t) -> [ClosedRange<UInt32>] {
        var ranges: [ClosedRange<UInt32>] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 3, fields[0] == user || fields[0] == String(uid) else { continue }
            guard let start = UInt32(fields[1]), let count = UInt32(fields[2]), count > 0,
                  start <= UInt32.max - (count - 1) else { continue }
            ranges.append(start...(start + count - 1))
        }
        return ranges
    }
}
