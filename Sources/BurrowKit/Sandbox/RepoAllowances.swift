import FoundationEssentials
import BurrowSystem

/// Hosts a person answered "Always for this repo" about: a small JSON file in the state dir
/// (`{"repo": ["host:port", …]}`, mode 0600) that later launches of the repo add to their allowlist.
/// Only Burrow writes it; an entry that is not a valid host:port (a hand-edited file) is ignored.
public final class RepoAllowances: Sendable {
    public static let fileName = "always-allowed.json"
    public static let maxPerRepo = 256
    public let path: String
    private let entries: Locked<[String: [String]]>

    public init(stateDir: String) {
        path = stateDir + "/" + Self.fileName
        let bytes = (try? FileSystem.readFile(path, limit: 1 << 20)) ?? []
        let stored = (try? JSONDecoder().decode([String: [String]].self, from: Data(bytes))) ?? [:]
        entries = Locked(stored.mapValues { Array($0.filter { HostPattern($0)?.port != nil }.prefix(Self.maxPerRepo)) })
    }

    public func targets(repo: String) -> [String] { entries.withLock { $0[repo] ?? [] } }

    public var all: [String: [String]] { entries.withLock { $0 } }

    /// Keeps `target` (host:port) for `repo`; false when the repo has `maxPerRepo` already.
    public func add(repo: String, target: String) throws -> Bool {
        try change { entries in
            var list = entries[repo] ?? []
            if list.contains(target) { return true }
            guard list.count < Self.maxPerRepo else { return false }
            list.append(target)
            entries[repo] = list
            return true
        }
    }

    /// False when it was not kept.
    public func remove(repo: String, target: String) throws -> Bool {
        try change { entries in
            guard let index = entries[repo]?.firstIndex(of: target) else { return false }
            entries[repo]?.remove(at: index)
            if entries[repo]?.isEmpty == true { entries[repo] = nil }
            return true
        }
    }

    /// Changes and saves under the lock, so two answers at once never lose one.
    private func change(_ body: (inout [String: [String]]) -> Bool) throws -> Bool {
        try entries.withLock { entries in
            var changed = entries
            guard body(&changed) else { return false }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            try FileSystem.writeAtomically(Array(try encoder.encode(changed)), to: path, mode: 0o600)
            entries = changed
            return true
        }
    }
}
