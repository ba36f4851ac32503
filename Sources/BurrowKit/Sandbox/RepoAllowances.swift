import FoundationEssentials
import BurrowSystem

/// What a person answered "Always for this repo" about: a small JSON file in the state dir
/// (`{"repo": ["host:port", "METHOD host:port /path", …]}`, mode 0600). A host:port joins the repo's
/// later launches' allowlist; a request (asked about because `network.rules` refused it) lets that
/// method and exact path, any query, through on that host:port (`NetworkRules.keeping`).
/// Only Burrow writes it; an entry that is neither (a hand-edited file) is ignored.
public final class RepoAllowances: Sendable {
    public static let fileName = "always-allowed.json"
    public static let maxPerRepo = 256
    /// A kept path is matched whole: one this long could not be told from its longer relatives.
    public static let maxPathBytes = 2047
    public let path: String
    private let entries: Locked<[String: [String]]>

    public init(stateDir: String) {
        path = stateDir + "/" + Self.fileName
        let bytes = (try? FileSystem.readFile(path, limit: 1 << 20)) ?? []
        let stored = (try? JSONDecoder().decode([String: [String]].self, from: Data(bytes))) ?? [:]
        entries = Locked(stored.mapValues { Array($0.filter(Self.isEntry).prefix(Self.maxPerRepo)) })
    }

    /// "METHOD host:port /path": an upper-case method, a host name (no wildcard) with its port, a
    /// plain path without query of printable bytes; what `NetworkRules.keptKey` makes.
    public static func request(method: String, host: String, port: UInt16, path: String) -> String? {
        let entry = "\(method) \(host.lowercased()):\(port) \(path)"
        return isRequest(entry) ? entry : nil
    }

    static func isEntry(_ entry: String) -> Bool { isTarget(entry) || isRequest(entry) }

    static func isTarget(_ entry: String) -> Bool {
        guard let pattern = HostPattern(entry) else { return false }
        return pattern.port != nil && !pattern.wildcard
    }

    static func isRequest(_ entry: String) -> Bool {
        let words = entry.split(separator: " ", omittingEmptySubsequences: false)
        guard words.count == 3, (1...32).contains(words[0].utf8.count),
              words[0].utf8.allSatisfy({ (0x41...0x5A).contains($0) || $0 == UInt8(ascii: "-") }),
              isTarget(String(words[1])), words[1] == words[1].lowercased(), let path = words.last, path.hasPrefix("/"),
              path.utf8.count <= maxPathBytes, path.utf8.allSatisfy({ (0x21...0x7E).contains($0) && $0 != UInt8(ascii: "?") }) else { return false }
        return true
    }

    /// The host:port entries of `repo`.
    public func targets(repo: String) -> [String] { entries.withLock { ($0[repo] ?? []).filter(Self.isTarget) } }

    /// The "METHOD host:port /path" entries of `repo`.
    public func requests(repo: String) -> [String] { entries.withLock { ($0[repo] ?? []).filter(Self.isRequest) } }

    public var all: [String: [String]] { entries.withLock { $0 } }

    /// Keeps `target` (host:port, or a `request`) for `repo`; false when the repo has `maxPerRepo` already.
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
