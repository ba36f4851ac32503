/// A TCP port something in a burrow listens on, reachable on its loopback: what a preview serves.
public struct ListeningPort: Codable, Sendable, Equatable, Hashable, Comparable {
    public let port: Int
    /// 4 or 6: the relay connects to 127.0.0.1 or ::1.
    public let family: Int

    public init(port: Int, family: Int) {
        self.port = port
        self.family = family
    }

    public static func < (a: ListeningPort, b: ListeningPort) -> Bool { a.port < b.port }
}

/// Reads the kernel's TCP tables (`/proc/net/tcp` and `tcp6` as the relay sends them from inside the
/// burrow's network namespace). Kernel text, but its size is the burrow's doing (one line per
/// socket): the relay caps it, and only the first `limit` listeners are kept.
public enum ListeningPorts {
    static let listenState: Substring = "0A"
    static let loopbackOrAny: Set<Substring> = [
        "00000000", "0100007F",  // 0.0.0.0, 127.0.0.1 (the kernel prints each 32-bit word in host order)
        "00000000000000000000000000000000", "00000000000000000000000001000000",  // ::, ::1
    ]

    /// The listening ports, one per port number (IPv4 preferred when both are open), sorted;
    /// `excluding`: Burrow's own (the forwarder's proxy listener).
    public static func parse(_ table: [UInt8], excluding: Set<Int> = [], limit: Int = 64) -> [ListeningPort] {
        var found: [Int: ListeningPort] = [:]
        for line in table.split(separator: UInt8(ascii: "\n")) {
            let fields = line.split(separator: UInt8(ascii: " "), maxSplits: 4)
            guard fields.count >= 4, Substring(decoding: fields[3], as: UTF8.self) == listenState else { continue }
            let local = Substring(decoding: fields[1], as: UTF8.self).split(separator: ":")
            guard local.count == 2, loopbackOrAny.contains(local[0]), let port = Int(local[1], radix: 16), port > 0,
                  !excluding.contains(port) else { continue }
            let family = local[0].count == 8 ? 4 : 6
            if let known = found[port], known.family == 4 { continue }
            if found[port] == nil && found.count >= limit { continue }
            found[port] = ListeningPort(port: port, family: family)
        }
        return found.values.sorted()
    }
}
