import CLinux
import Glibc

/// A listening TCP socket on the loopback.
enum Listener {
    static func open(_ address: String) -> Int32? {
        let parts = address.split(separator: ":")
        guard parts.count == 2, let port = UInt16(parts[1]) else { errno = EINVAL; return nil }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var socketAddress = sockaddr_in()
        socketAddress.sin_family = sa_family_t(AF_INET)
        socketAddress.sin_port = port.bigEndian
        guard inet_pton(AF_INET, String(parts[0]), &socketAddress.sin_addr) == 1 else { errno = EINVAL; return nil }
        let bound = withUnsafePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 128) == 0 else { return nil }
        return fd
    }
}

/// Hands every connection accepted on the loopback to Burrow's egress proxy: the descriptor itself
/// goes over the Unix socket (SCM_RIGHTS), so Burrow serves the agent's connection directly and no
/// byte passes through this process.
struct Handover {
    let listener: Int32
    let target: String

    func step(timeoutMilliseconds: Int32) {
        Loopback.acceptWaiting(listener, timeoutMilliseconds: timeoutMilliseconds) { client in
            _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK)
            if let burrow = UnixTarget.connect(target) {
                _ = clinux_send_fd(burrow, client)
                close(burrow)
            }
            close(client)  // Burrow holds its own copy now (or the agent sees the connection refused)
        }
    }
}
