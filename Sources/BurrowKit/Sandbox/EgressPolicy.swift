/// One allowlist entry: `example.com`, `*.example.com` (subdomains only), either with `:port`.
public struct HostPattern: Sendable, Equatable {
    public let host: String
    public let wildcard: Bool
    public let port: UInt16?

    public init?(_ text: String) {
        var rest = Substring(text.lowercased())
        var port: UInt16?
        if let colon = rest.lastIndex(of: ":") {
            guard let number = UInt16(rest[rest.index(after: colon)...]), number > 0 else { return nil }
            port = number
            rest = rest[..<colon]
        }
        wildcard = rest.hasPrefix("*.")
        if wildcard { rest = rest.dropFirst(2) }
        guard !rest.isEmpty, !rest.contains("*"), rest.utf8.allSatisfy({ $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") || (0x30...0x39).contains($0) || (0x61...0x7A).contains($0) }) else {
            return nil
        }
        host = String(rest)
        self.port = port
    }

    func matches(host candidate: String, port candidatePort: UInt16) -> Bool {
        let portAllowed = port.map { $0 == candidatePort } ?? (candidatePort == 80 || candidatePort == 443)
        return portAllowed && matchesName(candidate)
    }

    func matchesName(_ candidate: String) -> Bool {
        wildcard ? candidate.hasSuffix("." + host) : candidate == host
    }
}

/// Decides which hosts one burrow may reach, and where names point.
public struct EgressPolicy: Sendable {
    public let patterns: [HostPattern]
    public let fixedAddresses: [String: String]

    public init(allow: [String], resolve: [String: String] = [:]) {
        patterns = allow.compactMap(HostPattern.init)
        fixedAddresses = Dictionary(uniqueKeysWithValues: resolve.map { ($0.key.lowercased(), $0.value) })
    }

    /// Nil when allowed; otherwise why not. IP literals are refused: names are what the list holds.
    public func refusal(host: String, port: UInt16) -> String? {
        let name = host.lowercased()
        if SocketAddress.isIPv4(name) || SocketAddress.isIPv6(name.trimmingCharacters(in: "[]")) {
            return "addresses are not allowed, only names on the allowlist"
        }
        if patterns.contains(where: { $0.matches(host: name, port: port) }) { return nil }
        if patterns.contains(where: { $0.matchesName(name) }) {
            return "port \(port) is not allowed for \(name) (only 80 and 443 unless listed as host:port)"
        }
        return "\(name) is not on the allowlist"
    }

    public func addresses(host: String, port: UInt16) async throws -> [SocketAddress] {
        try await NameResolver.resolve(fixedAddresses[host.lowercased()] ?? host, port: port)
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        String(drop { set.contains($0) }.reversed().drop { set.contains($0) }.reversed())
    }
}
