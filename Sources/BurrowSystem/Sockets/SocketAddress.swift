import CLinux
import Glibc

/// Where a socket listens or connects: an IPv4/IPv6 host and port, or a Unix-domain path.
public enum SocketAddress: Sendable, Hashable, CustomStringConvertible {
    case ipv4(String, port: UInt16)
    case ipv6(String, port: UInt16)
    case unix(String)

    /// Linux's `sun_path` holds 108 bytes including the terminating NUL.
    public static let maxUnixPathLength = 107

    public enum ParseError: Error, CustomStringConvertible, Equatable {
        case invalid(String)
        public var description: String {
            switch self {
            case .invalid(let text): "'\(text)' is not an address of the form HOST:PORT (e.g. 127.0.0.1:7878, [::1]:7878)"
            }
        }
    }

    /// Parses `HOST:PORT`, `[V6]:PORT`, `localhost:PORT`.
    public init(parsing text: String) throws(ParseError) {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else {
            throw .invalid(text)
        }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
            guard Self.isIPv6(host) else { throw .invalid(text) }
            self = .ipv6(host, port: port)
            return
        }
        if host == "localhost" { host = "127.0.0.1" }
        guard Self.isIPv4(host) else { throw .invalid(text) }
        self = .ipv4(host, port: port)
    }

    public var port: UInt16? {
        switch self {
        case .ipv4(_, let port), .ipv6(_, let port): port
        case .unix: nil
        }
    }

    public var isLoopback: Bool {
        switch self {
        case .ipv4(let host, _): host.hasPrefix("127.")
        case .ipv6(let host, _): host == "::1"
        case .unix: true
        }
    }

    public var description: String {
        switch self {
        case .ipv4(let host, let port): "\(host):\(port)"
        case .ipv6(let host, let port): "[\(host)]:\(port)"
        case .unix(let path): "unix:\(path)"
        }
    }

    var family: Int32 {
        switch self {
        case .ipv4: AF_INET
        case .ipv6: AF_INET6
        case .unix: AF_UNIX
        }
    }

    package static func isIPv4(_ host: String) -> Bool {
        var address = in_addr()
        return inet_pton(AF_INET, host, &address) == 1
    }

    package static func isIPv6(_ host: String) -> Bool {
        var address = in6_addr()
        return inet_pton(AF_INET6, host, &address) == 1
    }

    /// Unix paths longer than `sun_path` would be cut silently by the kernel: refuse them instead.
    func validate() throws(SystemError) {
        if case .unix(let path) = self, path.utf8.count > Self.maxUnixPathLength {
            throw SystemError(call: "unix socket path \(path)", code: ENAMETOOLONG)
        }
    }

    /// Calls `body` with this address as a C `sockaddr`. Call `validate()` first.
    func withSockAddr<R, E: Error>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws(E) -> R) throws(E) -> R {
        switch self {
        case .ipv4(let host, let port):
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            inet_pton(AF_INET, host, &address.sin_addr)
            return try Self.asSockAddr(&address, body)
        case .ipv6(let host, let port):
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            inet_pton(AF_INET6, host, &address.sin6_addr)
            return try Self.asSockAddr(&address, body)
        case .unix(let path):
            let bytes = Array(path.utf8.prefix(Self.maxUnixPathLength))
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                raw.copyBytes(from: bytes)
                raw[bytes.count] = 0
            }
            return try Self.asSockAddr(&address, body)
        }
    }

    /// Passes a concrete `sockaddr_*` as the generic `sockaddr` pointer C calls take, with its size.
    private static func asSockAddr<T, R, E: Error>(_ address: inout T, _ body: (UnsafePointer<sockaddr>, socklen_t) throws(E) -> R) throws(E) -> R {
        try withUnsafePointer(to: &address) { (pointer) throws(E) -> R in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (raw) throws(E) -> R in
                try body(raw, socklen_t(MemoryLayout<T>.size))
            }
        }
    }

    /// Reads back a `sockaddr_storage` filled in by the kernel.
    static func from(storage: sockaddr_storage) -> SocketAddress? {
        var storage = storage
        let family = Int32(storage.ss_family)
        return withUnsafePointer(to: &storage) { pointer -> SocketAddress? in
            var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
            switch family {
            case AF_INET:
                return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { address -> SocketAddress? in
                    var raw = address.pointee.sin_addr
                    inet_ntop(AF_INET, &raw, &text, socklen_t(text.count))
                    return .ipv4(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self), port: UInt16(bigEndian: address.pointee.sin_port))
                }
            case AF_INET6:
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { address -> SocketAddress? in
                    var raw = address.pointee.sin6_addr
                    inet_ntop(AF_INET6, &raw, &text, socklen_t(text.count))
                    return .ipv6(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self), port: UInt16(bigEndian: address.pointee.sin6_port))
                }
            default:
                return nil
            }
        }
    }
}
