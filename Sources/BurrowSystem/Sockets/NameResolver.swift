import Dispatch
import Glibc

/// Host name → addresses through the system resolver (getaddrinfo). getaddrinfo blocks, so it runs on
/// a Dispatch queue and the caller awaits it.
public enum NameResolver {
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let host: String
        public let reason: String
        public var description: String { "cannot resolve \(host): \(reason)" }
        package init(host: String, reason: String) {
            self.host = host
            self.reason = reason
        }
    }

    public static func resolve(_ host: String, port: UInt16) async throws -> [SocketAddress] {
        if SocketAddress.isIPv4(host) { return [.ipv4(host, port: port)] }
        if SocketAddress.isIPv6(host) { return [.ipv6(host, port: port)] }
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try lookUp(host, port: port) })
            }
        }
    }

    private static func lookUp(_ host: String, port: UInt16) throws -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var list: UnsafeMutablePointer<addrinfo>?
        let code = getaddrinfo(host, String(port), &hints, &list)
        guard code == 0 else { throw Failure(host: host, reason: String(cString: gai_strerror(code))) }
        defer { freeaddrinfo(list) }
        var addresses: [SocketAddress] = []
        var entry = list
        while let current = entry {
            var storage = sockaddr_storage()
            withUnsafeMutableBytes(of: &storage) { raw in
                raw.copyMemory(from: UnsafeRawBufferPointer(start: current.pointee.ai_addr, count: Int(current.pointee.ai_addrlen)))
            }
            if let address = SocketAddress.from(storage: storage), !addresses.contains(address) { addresses.append(address) }
            entry = current.pointee.ai_next
        }
        guard !addresses.isEmpty else { throw Failure(host: host, reason: "no address") }
        return addresses
    }
}
