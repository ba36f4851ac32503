import BurrowSystem
import BurrowPodman

/// Which kind of network an IP address belongs to, read from its text form in pure Swift. The egress
/// proxy refuses names that resolve into the host's own or internal networks unless the
/// configuration points them there on purpose (`network.resolve`).
enum AddressClass: String, Sendable {
    case publicAddress = "public"
    case unspecified, loopback, linkLocal = "link-local", privateNetwork = "private", sharedNetwork = "shared (CGNAT)"
    case multicast, reserved

    var isPublic: Bool { self == .publicAddress }

    /// Nil when the text is not an IPv4 or IPv6 address.
    init?(address text: String) {
        if let octets = Self.ipv4(Substring(text)) {
            self = Self.classify(v4: octets)
        } else if let words = Self.ipv6(Substring(text.split(separator: "%", maxSplits: 1).first ?? "")) {
            self = Self.classify(v6: words)
        } else {
            return nil
        }
    }

    static func classify(v4 o: [UInt8]) -> AddressClass {
        switch (o[0], o[1]) {
        case (0, _): return .unspecified
        case (127, _): return .loopback
        case (10, _), (172, 16...31), (192, 168): return .privateNetwork
        case (169, 254): return .linkLocal
        case (100, 64...127): return .sharedNetwork
        case (224...239, _): return .multicast
        case (240...255, _): return .reserved
        case (192, 0) where o[2] == 0: return .reserved
        case (198, 18...19): return .reserved
        default: return .publicAddress
        }
    }

    static func classify(v6 w: [UInt16]) -> AddressClass {
        if w.allSatisfy({ $0 == 0 }) { return .unspecified }
        if w[0..<7].allSatisfy({ $0 == 0 }) && w[7] == 1 { return .loopback }
        // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::a.b.c.d): the IPv4 inside decides.
        if (w[0..<5].allSatisfy({ $0 == 0 }) && (w[5] == 0xFFFF || w[5] == 0)) || (w[0] == 0x64 && w[1] == 0xFF9B && w[2..<6].allSatisfy({ $0 == 0 })) {
            return classify(v4: [UInt8(w[6] >> 8), UInt8(w[6] & 0xFF), UInt8(w[7] >> 8), UInt8(w[7] & 0xFF)])
        }
        switch w[0] {
        case 0xFE80...0xFEBF: return .linkLocal
        case 0xFEC0...0xFEFF: return .privateNetwork  // deprecated site-local
        case 0xFC00...0xFDFF: return .privateNetwork
        case 0xFF00...0xFFFF: return .multicast
        default: return .publicAddress
        }
    }

    static func ipv4(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var octets: [UInt8] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let value = UInt8(part) else { return nil }
            octets.append(value)
        }
        return octets
    }

    static func ipv6(_ text: Substring) -> [UInt16]? {
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func words(_ part: String) -> [UInt16]? {
            if part.isEmpty { return [] }
            var result: [UInt16] = []
            let groups = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, group) in groups.enumerated() {
                if index == groups.count - 1, group.contains("."), let octets = ipv4(group) {
                    result += [UInt16(octets[0]) << 8 | UInt16(octets[1]), UInt16(octets[2]) << 8 | UInt16(octets[3])]
                } else {
                    guard (1...4).contains(group.count), let value = UInt16(group, radix: 16) else { return nil }
                    result.append(value)
                }
            }
            return result
        }
        guard let head = words(halves[0]), let tail = halves.count == 2 ? words(halves[1]) : [] else { return nil }
        if halves.count == 1 { return head.count == 8 ? head : nil }
        guard head.count + tail.count <= 7 else { return nil }
        return head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
    }
}
