import CLinux
import Glibc
import Synchronization

/// A non-blocking socket descriptor, owned by this value and closed exactly once.
public final class Socket: Sendable {
    public let fd: Int32
    private let closed = Atomic<Bool>(false)

    init(adopting fd: Int32) {
        self.fd = fd
    }

    deinit { close() }

    static func make(family: Int32) throws(SystemError) -> Socket {
        let kind = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let fd = try systemCallChecked("socket") { Int(Glibc.socket(family, kind, 0)) }
        return Socket(adopting: Int32(fd))
    }

    /// A socket bound to `address` and listening. A Unix path left by a previous run is replaced.
    public static func listening(on address: SocketAddress, backlog: Int32 = 4096) throws(SystemError) -> Socket {
        let socket = try make(family: address.family)
        if case .unix(let path) = address {
            unlink(path)
        } else {
            try socket.setOption(SOL_SOCKET, SO_REUSEADDR, 1)
        }
        try address.validate()
        _ = try systemCallChecked("bind \(address)") {
            Int(address.withSockAddr { Glibc.bind(socket.fd, $0, $1) })
        }
        _ = try systemCallChecked("listen") { Int(Glibc.listen(socket.fd, backlog)) }
        return socket
    }

    /// Starts a connection; `.wouldBlock` means it completes once the socket is writable.
    static func connecting(to address: SocketAddress) throws(SystemError) -> (Socket, IOResult<Void>) {
        let socket = try make(family: address.family)
        if address.family != AF_UNIX { try socket.setOption(Int32(IPPROTO_TCP), TCP_NODELAY, 1) }
        try address.validate()
        switch try systemCall("connect \(address)", { Int(address.withSockAddr { Glibc.connect(socket.fd, $0, $1) }) }) {
        case .done: return (socket, .done(()))
        case .wouldBlock: return (socket, .wouldBlock)
        }
    }

    func accept() throws(SystemError) -> IOResult<Socket> {
        let flags = Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        switch try systemCall("accept4", { Int(clinux_accept4(fd, flags)) }) {
        case .done(let client):
            let socket = Socket(adopting: Int32(client))
            try? socket.setOption(Int32(IPPROTO_TCP), TCP_NODELAY, 1)
            return .done(socket)
        case .wouldBlock:
            return .wouldBlock
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> IOResult<Int> {
        try systemCall("read") { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    /// `send` with MSG_NOSIGNAL: a peer that went away is an error value, not SIGPIPE.
    func write(_ buffer: UnsafeRawBufferPointer) throws(SystemError) -> IOResult<Int> {
        try systemCall("send") { Glibc.send(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL)) }
    }

    func setOption(_ level: Int32, _ name: Int32, _ value: Int32) throws(SystemError) {
        var value = value
        _ = try systemCallChecked("setsockopt") {
            Int(setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size)))
        }
    }

    /// The error a non-blocking `connect` finished with (0 when it succeeded).
    func pendingError() -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &value, &length)
        return value
    }

    public var localAddress: SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return result == 0 ? SocketAddress.from(storage: storage) : nil
    }

    /// Ends both directions; wakes anything waiting on the descriptor. Safe to call more than once.
    public func shutdown() {
        if !closed.load(ordering: .acquiring) { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) }
    }

    /// Half-close: the peer reads end of stream, and can still send.
    public func shutdownWriting() {
        if !closed.load(ordering: .acquiring) { _ = Glibc.shutdown(fd, Int32(SHUT_WR)) }
    }

    public func close() {
        if closed.exchange(true, ordering: .acquiringAndReleasing) == false { _ = Glibc.close(fd) }
    }
}
