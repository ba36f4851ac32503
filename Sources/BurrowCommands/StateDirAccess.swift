import BurrowSystem
import BurrowHTTP
import BurrowPodman
import BurrowKit
import BurrowWeb
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
}
