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

/// Relays bytes between accepted TCP connections and new connections to the egress Unix socket, in
/// one poll loop. Each direction holds at most one buffer: a slow side slows its peer, never grows memory.
struct Relay {
    /// One direction of a connection: bytes move socket → kernel pipe → socket with splice(2),
    /// never through this process's memory. `pending` bytes sit in the pipe.
    final class Pipe {
        static let capacity = 1 << 20
        let from: Int32
        let to: Int32
        let pipeRead: Int32
        let pipeWrite: Int32
        var pending = 0
        var readClosed = false
        var halfClosed = false

        init?(from: Int32, to: Int32) {
            var fds: [Int32] = [-1, -1]
            guard clinux_pipe(&fds) == 0 else { return nil }
            _ = clinux_set_pipe_size(fds[1], Int32(Self.capacity))
            self.from = from
            self.to = to
            pipeRead = fds[0]
            pipeWrite = fds[1]
        }

        deinit {
            close(pipeRead)
            close(pipeWrite)
        }
    }

    let listener: Int32
    let target: String
    private var pipes: [Pipe] = []

    init(listener: Int32, target: String) {
        self.listener = listener
        self.target = target
    }

    mutating func step(timeoutMilliseconds: Int32) {
        var polled = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0)]
        for pipe in pipes {
            if pipe.pending < Pipe.capacity && !pipe.readClosed { polled.append(pollfd(fd: pipe.from, events: Int16(POLLIN), revents: 0)) }
            if pipe.pending > 0 { polled.append(pollfd(fd: pipe.to, events: Int16(POLLOUT), revents: 0)) }
        }
        guard poll(&polled, nfds_t(polled.count), timeoutMilliseconds) > 0 else { return }
        if polled[0].revents != 0 { acceptAll() }
        for pipe in pipes { move(pipe) }
        closeFinished()
    }

    private mutating func acceptAll() {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK)
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            // Relayed writes come in pieces (a head, then chunks): without this, Nagle holds each
            // second piece for the peer's delayed ACK, 40 ms a request.
            var one: Int32 = 1
            setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            guard let upstream = connectTarget() else { close(client); continue }
            guard let there = Pipe(from: client, to: upstream), let back = Pipe(from: upstream, to: client) else {
                close(client)
                close(upstream)
                continue
            }
            pipes.append(there)
            pipes.append(back)
        }
    }

    private func connectTarget() -> Int32? {
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
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else { close(fd); return nil }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        return fd
    }

    /// Moves what can move: into the pipe while it has room, out of it while the peer takes it.
    private func move(_ pipe: Pipe) {
        if pipe.pending < Pipe.capacity && !pipe.readClosed {
            let count = clinux_splice(pipe.from, pipe.pipeWrite, UInt(Pipe.capacity - pipe.pending))
            if count > 0 {
                pipe.pending += count
            } else if count == 0 || (errno != EAGAIN && errno != EINTR) {
                pipe.readClosed = true
            }
        }
        if pipe.pending > 0 {
            let written = clinux_splice(pipe.pipeRead, pipe.to, UInt(pipe.pending))
            if written > 0 {
                pipe.pending -= written
            } else if written < 0 && errno != EAGAIN && errno != EINTR {
                pipe.pending = 0
                pipe.readClosed = true
            }
        }
        if pipe.readClosed && pipe.pending == 0 && !pipe.halfClosed {
            pipe.halfClosed = true
            shutdown(pipe.to, Int32(SHUT_WR))
        }
    }

    /// A connection ends when both directions have ended and drained.
    private mutating func closeFinished() {
        var index = 0
        while index + 1 < pipes.count {
            let there = pipes[index], back = pipes[index + 1]
            if there.readClosed && back.readClosed && there.pending == 0 && back.pending == 0 {
                close(there.from)
                close(back.from)
                pipes.removeSubrange(index...(index + 1))
            } else {
                index += 2
            }
        }
    }
}
