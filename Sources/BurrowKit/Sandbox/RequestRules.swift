import BurrowSystem

/// One entry of `network.rules`: `METHOD /path-glob`, or `deny METHOD /path-glob`. METHOD is a
/// method or `*`; in the glob, `*` stands for any run of characters other than `/` and `?`, and `**`
/// for any run at all. The glob is matched against the request target, query included
/// (`GET /*/*/info/refs?service=git-upload-pack`).
public struct RequestRule: Sendable, Equatable, CustomStringConvertible {
    public let deny: Bool
    public let method: String
    let glob: [UInt8]
    public var description: String { (deny ? "deny " : "") + method + " " + String(decoding: glob, as: UTF8.self) }

    public init?(_ text: String) {
        var words = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        deny = words.first?.lowercased() == "deny"
        if deny { words.removeFirst() }
        guard words.count == 2, let path = words.last, path.hasPrefix("/"), path.utf8.count <= 1024,
              path.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else { return nil }
        let name = words[0].uppercased()
        guard name == "*" || (!name.isEmpty && name.utf8.allSatisfy { (0x41...0x5A).contains($0) || $0 == UInt8(ascii: "-") }) else { return nil }
        method = name
        glob = Array(path.utf8)
    }

    func matches(method candidate: String, target: [UInt8]) -> Bool {
        (method == "*" || method == candidate) && Self.globMatches(glob, target)
    }

    /// Dynamic programming over (glob position, target position): linear in the target per glob
    /// byte, so no pattern can make a request expensive to check.
    static func globMatches(_ glob: [UInt8], _ target: [UInt8]) -> Bool {
        let star = UInt8(ascii: "*")
        var reachable = [Bool](repeating: false, count: target.count + 1)
        reachable[0] = true
        var index = 0
        while index < glob.count {
            var next = [Bool](repeating: false, count: target.count + 1)
            if glob[index] == star {
                let anything = index + 1 < glob.count && glob[index + 1] == star
                var open = false
                for position in 0...target.count {
                    if reachable[position] { open = true }
                    next[position] = open
                    if position < target.count, !anything, target[position] == UInt8(ascii: "/") || target[position] == UInt8(ascii: "?") { open = false }
                }
                index += anything ? 2 : 1
            } else {
                for position in 0..<target.count where reachable[position] && target[position] == glob[index] { next[position + 1] = true }
                index += 1
            }
            reachable = next
        }
        return reachable[target.count]
    }

    /// The target as rules see it: percent-escapes of unreserved characters decoded (so `%67it` is
    /// `git`), nil for what a server might read differently from a rule: not origin-form, a dot
    /// segment, an escaped `/` or `\`, a backslash, control bytes.
    static func normalized(_ target: String) -> [UInt8]? {
        let bytes = Array(target.utf8)
        guard bytes.first == UInt8(ascii: "/") else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            guard (0x21...0x7E).contains(byte), byte != UInt8(ascii: "\\") else { return nil }
            if byte == UInt8(ascii: "%") {
                guard index + 2 < bytes.count, let high = hex(bytes[index + 1]), let low = hex(bytes[index + 2]) else { return nil }
                let decoded = high << 4 | low
                if decoded == UInt8(ascii: "/") || decoded == UInt8(ascii: "\\") || decoded < 0x20 || decoded == 0x7F { return nil }
                if isUnreserved(decoded) { out.append(decoded) } else { out.append(contentsOf: bytes[index...(index + 2)]) }
                index += 3
                continue
            }
            out.append(byte)
            index += 1
        }
        let path = out.split(separator: UInt8(ascii: "?"), maxSplits: 1, omittingEmptySubsequences: false)[0]
        for segment in path.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false) where segment.elementsEqual([0x2E]) || segment.elementsEqual([0x2E, 0x2E]) {
            return nil
        }
        return out
    }

    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "~")
    }
}

/// `network.rules` with each repo's rules: which hosts' connections are intercepted, and what each
/// request on them may be.
public struct NetworkRules: Sendable, Equatable {
    struct Entry: Sendable, Equatable {
        let pattern: HostPattern
        let text: String
        let rules: [RequestRule]
    }
    let entries: [Entry]
    /// Requests a person kept for the repo ("METHOD host:port /path", `RepoAllowances`): allowed
    /// with any query where no deny entry matches; matched whole, never as a glob.
    var kept: Set<String> = []

    public enum Decision: Equatable, Sendable {
        case allowed(rule: String)
        case refused(rule: String)
    }

    public init() { entries = [] }

    /// Throws naming the first bad host or entry.
    public init(_ tables: [[String: [String]]]) throws(ConfigError) {
        var entries: [Entry] = []
        for table in tables {
            for (host, texts) in table.sorted(by: { $0.key < $1.key }) {
                guard let pattern = HostPattern(host) else {
                    throw ConfigError(field: "network.rules", reason: "'\(host)' is not a host, *.suffix or host:port")
                }
                var rules: [RequestRule] = []
                for text in texts {
                    guard let rule = RequestRule(text) else {
                        throw ConfigError(field: "network.rules[\"\(host)\"]",
                                          reason: "'\(text)' is not \"METHOD /path-glob\" or \"deny METHOD /path-glob\" (e.g. \"GET /repos/**\")")
                    }
                    rules.append(rule)
                }
                entries.append(Entry(pattern: pattern, text: host, rules: rules))
            }
        }
        self.entries = entries
    }

    /// These rules and the requests kept for the repo.
    public func keeping(_ requests: [String]) -> NetworkRules {
        var rules = self
        rules.kept.formUnion(requests)
        return rules
    }

    /// A request as `RepoAllowances` keeps it: nil for a path too long to keep.
    static func keptKey(host: String, port: UInt16, method: String, target: [UInt8]) -> String? {
        let path = String(decoding: target.prefix { $0 != UInt8(ascii: "?") }, as: UTF8.self)
        return RepoAllowances.request(method: method, host: host, port: port, path: path)
    }

    /// Connections to hosts with rules are intercepted; any other stays a tunnel.
    public func intercepts(host: String, port: UInt16) -> Bool {
        entries.contains { $0.pattern.matches(host: host.lowercased(), port: port) }
    }

    /// True when a deny entry matches: a refusal a person is never asked to override.
    func denies(host: String, port: UInt16, method: String, target: [UInt8]) -> Bool {
        entries.contains { $0.pattern.matches(host: host.lowercased(), port: port) && $0.rules.contains { $0.deny && $0.matches(method: method, target: target) } }
    }

    /// A matching deny entry wins; then a matching allow entry; nothing matching refuses.
    public func decide(host: String, port: UInt16, method: String, target: [UInt8]) -> Decision {
        let matching = entries.filter { $0.pattern.matches(host: host.lowercased(), port: port) }
        if matching.isEmpty { return .allowed(rule: "") }  // intercepted for a credential, no rules
        let all = matching.flatMap { entry in entry.rules.map { (entry.text, $0) } }
        if let (table, rule) = all.first(where: { $0.1.deny && $0.1.matches(method: method, target: target) }) {
            return .refused(rule: "network.rules[\"\(table)\"]: \(rule)")
        }
        if let (table, rule) = all.first(where: { !$0.1.deny && $0.1.matches(method: method, target: target) }) {
            return .allowed(rule: "network.rules[\"\(table)\"]: \(rule)")
        }
        if let key = Self.keptKey(host: host, port: port, method: method, target: target), kept.contains(key) {
            return .allowed(rule: "kept for the repo (\"Always for this repo\"): \(key)")
        }
        let tables = matching.map { "network.rules[\"\($0.text)\"] allows \($0.rules.filter { !$0.deny }.map(\.description).joined(separator: ", "))" }
        return .refused(rule: tables.joined(separator: "; "))
    }
}
