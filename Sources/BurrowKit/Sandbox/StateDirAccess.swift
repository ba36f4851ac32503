import BurrowSystem
/// Can Podman's user reach Burrow's state dir? Podman bind-mounts each burrow's socket folder from
/// it, resolving the path as Podman's user: one folder on the way without `x` for that user (a 0700
/// home, the default `~/.local/state/burrow` of another account) makes every launch fail.
public enum StateDirAccess {
    public struct Blocker: Sendable, Equatable, CustomStringConvertible {
        public let path: String
        public let mode: UInt32
        public let owner: UInt32
        public var description: String { "\(path) (mode \(String(mode, radix: 8)), owner \(UserNames.name(of: owner)))" }
    }

    /// The existing folders from `/` down to `path`'s parent that `uid` (in `groups`) cannot traverse
    /// (the state dir itself Burrow sets to 0711 at start).
    public static func blockers(path: String, uid: UInt32, groups: [UInt32],
                                status: (String) -> FileSystem.Status? = FileSystem.status) -> [Blocker] {
        guard uid != 0 else { return [] }
        var prefixes = ["/"]
        var current = ""
        for component in path.split(separator: "/") where !component.isEmpty {
            current += "/" + component
            prefixes.append(current)
        }
        var found: [Blocker] = []
        for prefix in prefixes.dropLast() {
            guard let info = status(prefix), info.isDirectory else { break }
            let bit: UInt32 = info.owner == uid ? 0o100 : (groups.contains(info.group) ? 0o010 : 0o001)
            if info.mode & bit == 0 { found.append(Blocker(path: prefix, mode: info.mode, owner: info.owner)) }
        }
        return found
    }

    /// Why Podman's user `uid` cannot reach `stateDir`, and the exact fix; nil when it can (or is root).
    public static func problem(stateDir: String, podmanUID uid: UInt32) -> (text: String, fix: String)? {
        let blockers = blockers(path: stateDir, uid: uid, groups: UserAccounts.groups(of: uid))
        guard !blockers.isEmpty else { return nil }
        let user = UserNames.name(of: uid)
        return ("\(stateDir) is not reachable by Podman's user \(user): no search (x) permission on \(blockers.map(\.description).joined(separator: ", ")); every launch would fail to mount the burrow's socket folder",
                "chmod o+x \(blockers.map(\.path).joined(separator: " ")) (or setfacl -m u:\(user):x on them), or set \"stateDir\" to a folder \(user) can reach, e.g. /var/lib/burrow")
    }

    /// Podman's user as the owner of its API socket (nil: not known, or not a local socket).
    public static func podmanUID(socket: String) -> UInt32? { FileSystem.status(socket)?.owner }

    /// A launch refused for a path (Podman's "permission denied") while its user cannot reach the
    /// state dir: the error then says so and gives the fix.
    public struct Unreachable: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    static func explained(_ error: any Error, stateDir: String, podmanSocket: String) -> any Error {
        guard "\(error)".lowercased().contains("permission denied"), let uid = podmanUID(socket: podmanSocket),
              let problem = problem(stateDir: stateDir, podmanUID: uid) else { return error }
        return Unreachable(description: "\(error)\n\(problem.text); fix: \(problem.fix)")
    }
}
