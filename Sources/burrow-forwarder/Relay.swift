import CLinux
import Glibc

/// Relays every connection accepted on the loopback to Burrow's egress socket byte by byte, for
/// burrows on a remote runner: there the socket is an SSH-forwarded one, and a descriptor cannot
/// cross SSH (SCM_RIGHTS is local to one kernel). Each connection gets a child process of its own
/// (blocking I/O, no threads: this binary has no runtime to spare), reaped by the supervisor's
/// `waitpid(-1)`. Burrow's end serves the bytes as HTTP on the Unix connection itself.
struct Relay {
    let listener: Int32
    let target: String

    func step(timeoutMilliseconds: Int32) {
        Loopback.acceptWaiting(listener, timeoutMilliseconds: timeoutMilliseconds) { client in
            let pid = fork()
            if pid == 0 {
                close(listener)
                if let burrow = UnixTarget.connect(target) { Self.pump(client, burrow) }
                _exit(0)
            }
            close(client)  // the child holds it (or, if fork failed, the agent sees the connection end)
        }
    }

    /// Bytes both ways until both directions have ended; a write that fails ends the relay.
    static func pump(_ a: Int32, _ b: Int32) {
        var open = (aToB: true, bToA: true)
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while open.aToB || open.bToA {
            // A direction that has ended is left out (a negative fd): its hang-up would wake poll forever.
            var polled = [pollfd(fd: open.aToB ? a : -1, events: Int16(POLLIN), revents: 0),
                          pollfd(fd: open.bToA ? b : -1, events: Int16(POLLIN), revents: 0)]
            guard poll(&polled, 2, -1) >= 0 || errno == EINTR else { return }
            for (index, (from, to)) in [(a, b), (b, a)].enumerated() where polled[index].revents != 0 {
                let count = buffer.withUnsafeMutableBytes { read(from, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 {
                    shutdown(to, Int32(SHUT_WR))
                    if index == 0 { open.aToB = false } else { open.bToA = false }
                    continue
                }
                guard writeAll(to, buffer, count) else { return }
            }
        }
    }

    static func writeAll(_ fd: Int32, _ buffer: [UInt8], _ count: Int) -> Bool {
        var written = 0
        while written < count {
            let result = buffer.withUnsafeBytes { write(fd, $0.baseAddress! + written, count - written) }
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else { return false }
            written += result
        }
        return true
    }
}
