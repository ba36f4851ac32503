import CLinux
import Glibc

/// The agent's side of the forwarder: connections accepted on the loopback listener, each handed
/// on (as a descriptor, or relayed byte by byte) to the burrow's Unix socket.
enum Loopback {
    /// Waits up to `timeoutMilliseconds` for connections, then takes every one that is waiting.
    static func acceptWaiting(_ listener: Int32, timeoutMilliseconds: Int32, _ handle: (Int32) -> Void) {
        var polled = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0)]
        guard poll(&polled, 1, timeoutMilliseconds) > 0 else { return }
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            // Answers come in pieces (a head, then chunks): without this, Nagle holds each second
            // piece for the peer's delayed ACK, 40 ms a request.
            var one: Int32 = 1
            setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            handle(client)
        }
    }
}

/// A connection to the burrow's Unix socket (`--to`).
enum UnixTarget {
    static func connect(_ target: String) -> Int32? {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = Array(target.utf8)
        guard path.count < MemoryLayout.size(ofValue: address.sun_path) else { close(fd); return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.enumerated() { raw[index] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else { close(fd); return nil }
        return fd
    }
}
