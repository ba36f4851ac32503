import FoundationEssentials
import BurrowSystem
import BurrowPodman

/// One allowlist entry: `example.com`, `*.example.com` (subdomains only), either with `:port`.
/// Names follow RFC 1123 (labels of letters, digits and inner hyphens, 1–63 bytes, 253 in all); a
/// wildcard is only ever a whole leading `*.` label.
public struct HostPattern: Sendable, Equatable {
    public let host: String
    public let wildcard: Bool
    public let port: UInt16?

    public init?(_ text: String) {
        var rest = Substring(text.lowercased())
        var port: UInt16?
        if let colon = rest.lastIndex(of: ":") {
            let digits = rest[rest.index(after: colon)...]
            guard (1...5).contains(digits.count), digits.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
                  let number = UInt16(digits), number > 0 else { return nil }
            port = number
            rest = rest[..<colon]
        }
        wildcard = rest.hasPrefix("*.")
        if wildcard { rest = rest.dropFirst(2) }
        guard HostPattern.isHostName(rest) else { return nil }
        host = String(rest)
        self.port = port
    }

    /// RFC 1123 §2.1 host name (lowercase already), not an address: at least one letter somewhere
    /// in the last label keeps dotted numbers out.
    static func isHostName(_ name: Substring) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 253 else { return false }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        for label in labels {
            guard (1...63).contains(label.utf8.count), label.first != "-", label.last != "-",
                  label.utf8.allSatisfy({ $0 == UInt8(ascii: "-") || (0x30...0x39).contains($0) || (0x61...0x7A).contains($0) }) else { return false }
        }
        return labels.last!.utf8.contains { (0x61...0x7A).contains($0) }
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
    /// The model's API hosts (Anthropic's and the configured upstream's): reached through the model
    /// endpoint, which holds the key and reads the requests, unless the allowlist names one exactly
    /// (a wildcard does not).
    public let modelHosts: Set<String>

    /// Which hosts' connections are intercepted and what their requests may be.
    public let rules: NetworkRules

    public init(allow: [String], resolve: [String: String] = [:], modelHosts: [String] = [], rules: NetworkRules = NetworkRules()) {
        patterns = allow.compactMap(HostPattern.init)
        self.rules = rules
        fixedAddresses = Dictionary(uniqueKeysWithValues: resolve.map { ($0.key.lowercased(), $0.value) })
        self.modelHosts = Set(modelHosts.map { $0.lowercased() })
    }

    /// Anthropic's API host, and the configured upstream's when it is another.
    public static func modelHosts(_ config: Config) -> [String] {
        ["api.anthropic.com"] + (URL(string: config.credentials.resolvedUpstream)?.host.map { [$0] } ?? [])
    }

    /// Nil when allowed; otherwise why not. IP literals are refused: names are what the list holds.
    public func refusal(host: String, port: UInt16) -> String? {
        let name = host.lowercased()
        if SocketAddress.isIPv4(name) || SocketAddress.isIPv6(name.trimmingCharacters(in: "[]")) || AddressClass(address: name) != nil {
            return "addresses are not allowed, only names on the allowlist"
        }
        guard HostPattern.isHostName(Substring(name)) else { return "'\(String(name.prefix(256)))' is not a valid host name" }
        if modelHosts.contains(name), !patterns.contains(where: { !$0.wildcard && $0.host == name }) {
            return "\(name) is the model's upstream: use the model endpoint (ANTHROPIC_BASE_URL), which adds the key and meters the calls; "
                + "a direct connection could carry data out under a key of the agent's own"
        }
        if patterns.contains(where: { $0.matches(host: name, port: port) }) { return nil }
        if patterns.contains(where: { $0.matchesName(name) }) {
            return "port \(port) is not allowed for \(name) (only 80 and 443 unless listed as host:port)"
        }
        return "\(name) is not on the allowlist"
    }

    /// The event with the allowlist entry that let it through as its `rule` (for the audit trail),
    /// unless something else decided it.
    func namingRule(_ event: NetEvent) -> NetEvent {
        guard event.allowed, event.rule == nil, event.phase != .model,
              let pattern = patterns.first(where: { $0.matches(host: event.host.lowercased(), port: event.port) }) else { return event }
        var named = event
        named.rule = "network.allow " + (pattern.wildcard ? "*." : "") + pattern.host + (pattern.port.map { ":\($0)" } ?? "")
        return named
    }

    /// A warning when the config lets burrows reach the model's upstream host directly (its `allow`,
    /// or a repo's, names it exactly): around the model endpoint, with any key the agent brings.
    public static func modelHostWarning(_ config: Config) -> String? {
        guard config.network.mode == .allowlist else { return nil }
        let listed = (config.network.allow + config.repos.flatMap { $0.allow ?? [] }).compactMap(HostPattern.init)
        guard let host = modelHosts(config).map({ $0.lowercased() }).first(where: { host in listed.contains { !$0.wildcard && $0.host == host } }) else {
            return nil
        }
        return "network.allow lists \(host), the model's upstream: burrows can reach it directly, around the model endpoint "
            + "(its key, budget and server-tool checks), with a key of their own; remove it unless a task needs that"
    }

    /// The addresses to connect to. A name in `network.resolve` goes where it says; any other name
    /// must resolve to public addresses: loopback, link-local, private, shared, multicast and
    /// unspecified ones are dropped, and a name left with none is refused.
    public func addresses(host: String, port: UInt16) async throws -> [SocketAddress] {
        let name = host.lowercased()
        if let fixed = fixedAddresses[name] { return try await NameResolver.resolve(fixed, port: port) }
        let resolved = try await NameResolver.resolve(host, port: port)
        let usable = resolved.filter { address in
            guard let text = Self.hostText(address) else { return false }
            return AddressClass(address: text)?.isPublic ?? false
        }
        guard !usable.isEmpty else {
            let kinds = Set(resolved.compactMap { Self.hostText($0).flatMap(AddressClass.init(address:))?.rawValue }).sorted()
            throw NameResolver.Failure(host: host, reason: "it resolves only to \(kinds.joined(separator: ", ")) addresses, which burrows may not reach unless network.resolve names it")
        }
        return usable
    }

    static func hostText(_ address: SocketAddress) -> String? {
        switch address {
        case .ipv4(let host, _), .ipv6(let host, _): host
        case .unix: nil
        }
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        String(drop { set.contains($0) }.reversed().drop { set.contains($0) }.reversed())
    }
}
