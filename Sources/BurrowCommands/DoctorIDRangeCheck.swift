import BurrowSystem
import BurrowHTTP
import BurrowPodman
import BurrowKit
import BurrowWeb

/// Whether each burrow can have its own host id range: the Podman user's subordinate uids and gids
/// (as Podman reports its namespace) must hold a range per burrow running at once, besides the first.
public enum DoctorIDRangeCheck {
    public static func findings(_ config: Config, info: PodmanInfo, podmanUser: String,
                                subordinateFiles: [String] = ["/etc/subuid", "/etc/subgid"]) -> [DoctorFinding] {
        guard config.sandbox.perBurrowIDs else {
            return [DoctorFinding(.warn, "id ranges", "sandbox.userNamespace is \"shared\": every burrow runs as the same host uids, so one that escapes can signal the others' processes and read their files",
                                  fix: "remove sandbox.userNamespace (per-burrow ranges are the default) once Podman's user has the subordinate ids (burrow doctor says how many)")]
        }
        guard info.rootless else {
            return [DoctorFinding(.warn, "id ranges", "rootful Podman: no subordinate ids of a Podman user to give each burrow a range of")]
        }
        let size = config.sandbox.resolvedIDsPerBurrow
        let maps = [info.host?.idMappings?.uidmap ?? [], info.host?.idMappings?.gidmap ?? []]
        let room = maps.map { map in
            BurrowIDRanges(size: size, namespace: map.map { .init(container: $0.container, host: $0.host, size: $0.size) }).slots?.count ?? 0
        }.min() ?? 0
        let slots = min(room, config.sandbox.resolvedIDRanges)
        let have = maps.map { map in map.map { $0.container + $0.size - 1 }.max() ?? 0 }.min() ?? 0
        let wanted = max(config.maxConcurrent, 8)
        let fix = Self.fix(user: podmanUser, count: size * (wanted + 1), after: highestSubordinateID(files: subordinateFiles))
            + "; or set sandbox.idsPerBurrow lower (the image's highest uid + 1, at least \(BurrowIDRanges.minimumSize)), or sandbox.userNamespace to \"shared\""
        if slots == 0 {
            return [DoctorFinding(.fail, "id ranges", "Podman's user \(podmanUser) has \(have) subordinate ids: not one range of \(size) ids (sandbox.idsPerBurrow) per burrow besides Podman's own first range; every launch would fail",
                                  fix: fix)]
        }
        if slots < config.maxConcurrent {
            return [DoctorFinding(.warn, "id ranges", "\(slots) ranges of \(size) ids (room for \(room), sandbox.idRanges \(config.sandbox.resolvedIDRanges)) for maxConcurrent \(config.maxConcurrent): a burrow past \(slots) running at once waits for a range",
                                  fix: room < config.maxConcurrent ? fix : "set sandbox.idRanges to at least maxConcurrent (\(config.maxConcurrent))")]
        }
        return [DoctorFinding(.ok, "id ranges", "each burrow in its own range of \(size) host ids: \(slots) ranges in use at most (room for \(room) in the \(have) subordinate ids of \(podmanUser)); more burrows than that keeping their workspaces share a range with idle ones, never two running at once")]
    }

    /// The exact commands that add `count` subordinate uids and gids to `user`, after every range in use.
    static func fix(user: String, count: Int, after highest: Int) -> String {
        let start = max(1_000_000, (highest / 65536 + 1) * 65536)
        let range = "\(start)-\(start + count - 1)"
        return "as root: usermod --add-subuids \(range) --add-subgids \(range) \(user); then as \(user): podman system migrate, and restart its Podman service"
    }

    /// The highest id any user's subordinate range reaches (a new range goes above it).
    static func highestSubordinateID(files: [String]) -> Int {
        files.compactMap { try? FileSystem.readFile($0, limit: 1 << 20) }.flatMap { bytes in
            String(decoding: bytes, as: UTF8.self).split(separator: "\n").compactMap { line -> Int? in
                let fields = line.split(separator: ":")
                guard fields.count == 3, let start = Int(fields[1]), let count = Int(fields[2]) else { return nil }
                return start + count - 1
            }
        }.max() ?? 0
    }
}
