import CLinux
import Glibc

/// `--preview-relay SOCKET`: runs on the host, started by Burrow inside the burrow's network namespace
/// only (`nsenter --net`), never inside the burrow. It serves Burrow on a Unix socket in Burrow's own
/// state dir (the burrow cannot see it) and answers one request per connection:
/// - `L`: the kernel's table of TCP sockets in this namespace (`/proc/self/net/tcp` and `tcp6`),
///   from which Burrow lists the listening ports;
/// - `C` + family (`4` or `6`) + port (2 bytes, big-endian): a TCP connection to 127.0.0.1 or ::1 at
///   that port, handed over as a descriptor (SCM_RIGHTS) with the byte `F`, or the byte `E` alone.
/// It exits when its standard input ends (Burrow closed the pipe, or Burrow is gone).
/// With `relayBytes` (`--relay`, on a remote runner, where the socket reaches Burrow over SSH and no
/// descriptor can cross): `ready` goes to standard output (SSH carries standard input one way only),
/// and a connection is answered `F` and then relayed byte by byte by a child of its own.
struct PreviewRelay {
    static let tableLimit = 4 << 20

    let listener: Int32
    var relayBytes = false

    static func open(_ path: String) -> PreviewRelay? {
        unlink(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { errno = ENAMETOOLONG; return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        let previous = umask(0o177)  // the socket is 0600 from its first instant
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        umask(previous)
        guard bound == 0, listen(fd, 512) == 0 else { return nil }
        return PreviewRelay(listener: fd)
    }

    /// Serves until standard input ends.
    func run() -> Never {
        signal(SIGPIPE, SIG_IGN)
        if relayBytes { signal(SIGCHLD, SIG_IGN) }  // the relaying children are reaped by the kernel
        _ = Relay.writeAll(relayBytes ? 1 : 0, Array("ready\n".utf8), 6)
        while true {
            var polled = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0), pollfd(fd: 0, events: Int16(POLLIN), revents: 0)]
            guard poll(&polled, 2, -1) >= 0 || errno == EINTR else { exit(1) }
            if polled[1].revents != 0 {
                var byte: UInt8 = 0
                if read(0, &byte, 1) <= 0 { exit(0) }
            }
            if polled[0].revents != 0 {
                let client = accept(listener, nil, nil)
                if client >= 0 { answer(client); close(client) }
            }
        }
    }

    private func answer(_ client: Int32) {
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var request = [UInt8](repeating: 0, count: 4)
        var have = 0
        while have < 4 {
            let count = request.withUnsafeMutableBytes { read(client, $0.baseAddress! + have, 4 - have) }
            guard count > 0 else { break }
            have += count
            if request[0] == UInt8(ascii: "L") { break }
        }
        if have >= 1 && request[0] == UInt8(ascii: "L") { return sendTables(client) }
        guard have == 4, request[0] == UInt8(ascii: "C"), let family = [UInt8(ascii: "4"): AF_INET, UInt8(ascii: "6"): AF_INET6][request[1]] else { return }
        let port = UInt16(request[2]) << 8 | UInt16(request[3])
        guard port > 0, let connection = Self.connectLoopback(family: family, port: port) else {
            var failed = UInt8(ascii: "E")
            _ = write(client, &failed, 1)
            return
        }
        if relayBytes { return relay(client, connection) }
        _ = clinux_send_fd(client, connection)
        close(connection)
    }

    private func relay(_ client: Int32, _ connection: Int32) {
        if fork() == 0 {
            close(listener)
            // Off the SSH session's standard input and output: the session ends with the relay itself.
            let null = Glibc.open("/dev/null", O_RDWR)
            dup2(null, 0)
            dup2(null, 1)
            var connected = UInt8(ascii: "F")
            if write(client, &connected, 1) == 1 { Relay.pump(client, connection) }
            _exit(0)
        }
        close(connection)  // the child holds it (or, if fork failed, Burrow sees the connection end)
    }

    private func sendTables(_ client: Int32) {
        var sent = 0
        for path in ["/proc/self/net/tcp", "/proc/self/net/tcp6"] {
            let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 64 << 10)
            while sent < Self.tableLimit {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                guard count > 0, Relay.writeAll(client, buffer, count) else { break }
                sent += count
            }
            close(fd)
        }
    }

    /// A non-blocking connect, waited for up to one second (a listener whose queue is full drops
    /// the handshake: that must not hold the relay).
    static func connectLoopback(family: Int32, port: UInt16) -> Int32? {
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var result: Int32
        if family == AF_INET {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
            result = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        } else {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &address.sin6_addr) { $0[15] = 1 }
            result = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        }
        if result != 0 && errno == EINPROGRESS {
            var polled = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            var pending: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            if poll(&polled, 1, 1000) == 1, getsockopt(fd, SOL_SOCKET, SO_ERROR, &pending, &length) == 0, pending == 0 { result = 0 }
        }
        guard result == 0 else { close(fd); return nil }
        return fd
    }
}
