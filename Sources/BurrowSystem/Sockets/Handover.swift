import CLinux
import Glibc

/// What one message on a burrow's Unix socket brought: its first byte, perhaps with a connection
/// handed over (SCM_RIGHTS, from `burrow-forwarder`). Everything received is hostile input: a
/// descriptor is kept only when it is the only one in the message and a connected stream socket of
/// the families the forwarder sends; it is made non-blocking before anything else touches it, and
/// every descriptor not kept is closed here.
public enum Handover {
    /// The peer hung up before sending anything.
    case end
    /// A byte and no descriptor: the client speaks HTTP on the Unix socket itself.
    case byte(UInt8)
    /// A connection handed over, checked, non-blocking, registered: the caller owns it.
    case connection(AsyncSocket)
    /// Descriptors came but none is kept (all closed); why, for the event stream.
    case refused(String)

    static let families: Set<Int32> = [AF_INET, AF_INET6, AF_UNIX]

    static func judge(byte: UInt8, fds: [Int32], truncated: Bool, loop: EventLoop) throws -> Handover {
        if fds.isEmpty && !truncated { return .byte(byte) }
        guard fds.count == 1, !truncated else {
            closeAll(fds[...])
            return .refused("a message carried \(truncated ? "more than \(fds.count)" : "\(fds.count)") descriptors; exactly one is accepted")
        }
        let fd = fds[0]
        let family = clinux_connected_stream_family(fd)
        guard family >= 0, families.contains(family) else {
            _ = Glibc.close(fd)
            return .refused("the descriptor handed over is not a connected stream socket of family inet, inet6 or unix")
        }
        guard clinux_set_nonblocking(fd) == 0 else {
            _ = Glibc.close(fd)
            return .refused("the descriptor handed over cannot be made non-blocking")
        }
        return .connection(try AsyncSocket(Socket(adopting: fd, foreign: true), loop: loop))
    }

    static func closeAll(_ fds: ArraySlice<Int32>) {
        for fd in fds where fd >= 0 { _ = Glibc.close(fd) }
    }
}
