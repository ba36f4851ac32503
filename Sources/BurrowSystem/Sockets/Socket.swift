import CLinux
import Glibc
import Synchronization

/// A non-blocking socket descriptor, owned by this value and closed exactly once.
///
/// The descriptor rule of the whole socket layer: only the owner calls `close()`; anyone else (a
/// sweeper, a shutdown, a timeout) calls `shutdown()`, which wakes the owner, who then closes. As a
/// second line, every system call goes through `call`, which refuses a closed socket and keeps the
/// descriptor open until calls in flight have returned, so a number can never be closed, or reused
/// by another socket, under a call that still uses it (the EBADF abort of a listener closed under
/// `accept4`).
public final class Socket: Sendable {
    private let descriptor: Int32
    /// Bit 0: closed. The rest: twice the number of calls in flight.
    private let state = Atomic<Int>(0)
    /// Received from outside (SCM_RIGHTS): someone else may hold the same open file and clear its
    /// O_NONBLOCK at any moment, so every call on it must be non-blocking by its own flags.
    public let isForeign: Bool

    /// The descriptor number, for tests that check it is never touched after close.
    var number: Int32 { descriptor }

    init(adopting fd: Int32, foreign: Bool = false) {
        self.descriptor = fd
        self.isForeign = foreign
    }

    deinit { close() }

    static func make(family: Int32) throws(SystemError) -> Socket {
        let kind = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let fd = try systemCallChecked("socket") { Int(Glibc.socket(family, kind, 0)) }
        return Socket(adopting: Int32(fd))
    }

    /// A connected pair of Unix stream sockets: ours (non-blocking) and a blocking descriptor for a
    /// child process, which the caller closes once the child has it.
    static func pair() throws(SystemError) -> (Socket, Int32) {
        var fds: [Int32] = [0, 0]
        _ = try systemCallChecked("socketpair") { Int(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds)) }
        let flags = fcntl(fds[0], F_GETFL)
        _ = fcntl(fds[0], F_SETFL, flags | O_NONBLOCK)
        return (Socket(adopting: fds[0]), fds[1])
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
        _ = try socket.checked("bind \(address)") { fd in Int(address.withSockAddr { Glibc.bind(fd, $0, $1) }) }
        _ = try socket.checked("listen") { Int(Glibc.listen($0, backlog)) }
        return socket
    }

    /// Starts a connection; `.wouldBlock` means it completes once the socket is writable.
    static func connecting(to address: SocketAddress) throws(SystemError) -> (Socket, IOResult<Void>) {
        let socket = try make(family: address.family)
        if address.family != AF_UNIX { try socket.setOption(Int32(IPPROTO_TCP), TCP_NODELAY, 1) }
        try address.validate()
        switch try socket.call("connect \(address)", { fd in Int(address.withSockAddr { Glibc.connect(fd, $0, $1) }) }) {
        case .done: return (socket, .done(()))
        case .wouldBlock: return (socket, .wouldBlock)
        }
    }

    /// Runs `body` with the descriptor unless the socket is closed (then EBADF is thrown, nothing is
    /// called). A `close()` meanwhile is carried out by the last call to return.
    func call(_ name: String, _ body: (Int32) -> Int) throws(SystemError) -> IOResult<Int> {
        guard enter() else { throw SystemError(call: name, code: EBADF) }
        defer { leave() }
        return try systemCall(name) { body(descriptor) }
    }

    func checked(_ name: String, _ body: (Int32) -> Int) throws(SystemError) -> Int {
        switch try call(name, body) {
        case .done(let value): return value
        case .wouldBlock: throw SystemError(call: name, code: EAGAIN)
        }
    }

    private func enter() -> Bool {
        var current = state.load(ordering: .relaxed)
        while current & 1 == 0 {
            let (exchanged, original) = state.compareExchange(expected: current, desired: current + 2, ordering: .acquiring)
            if exchanged { return true }
            current = original
        }
        return false
    }

    private func leave() {
        if state.subtract(2, ordering: .acquiringAndReleasing).newValue == 1 { _ = Glibc.close(descriptor) }
    }

    func accept() throws(SystemError) -> IOResult<Socket> {
        let flags = Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        switch try call("accept4", { Int(clinux_accept4($0, flags)) }) {
        case .done(let client):
            let socket = Socket(adopting: Int32(client))
            try? socket.setOption(Int32(IPPROTO_TCP), TCP_NODELAY, 1)
            return .done(socket)
        case .wouldBlock:
            return .wouldBlock
        }
    }

    /// `recv` with MSG_DONTWAIT: never blocks, whatever the descriptor's O_NONBLOCK says now.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> IOResult<Int> {
        try call("recv") { Glibc.recv($0, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT)) }
    }

    /// `send` with MSG_NOSIGNAL (a peer that went away is an error value, not SIGPIPE) and MSG_DONTWAIT.
    func write(_ buffer: UnsafeRawBufferPointer) throws(SystemError) -> IOResult<Int> {
        try call("send") { Glibc.send($0, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT)) }
    }

    func setOption(_ level: Int32, _ name: Int32, _ value: Int32) throws(SystemError) {
        var value = value
        _ = try checked("setsockopt") { Int(setsockopt($0, level, name, &value, socklen_t(MemoryLayout<Int32>.size))) }
    }

    /// The error a non-blocking `connect` finished with (0 when it succeeded).
    func pendingError() -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        _ = try? call("getsockopt") { Int(getsockopt($0, SOL_SOCKET, SO_ERROR, &value, &length)) }
        return value
    }

    /// The uid of the process that connected this Unix socket (SO_PEERCRED), if the kernel says.
    public var peerUID: UInt32? {
        guard case .done(let uid)? = try? call("SO_PEERCRED", { Int(clinux_peer_uid($0)) }) else { return nil }
        return UInt32(uid)
    }

    public var localAddress: SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = try? call("getsockname") { fd in
            Int(withUnsafeMutablePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } })
        }
        guard case .done? = result else { return nil }
        return SocketAddress.from(storage: storage)
    }

    /// Ends both directions; wakes anything waiting on the descriptor. Safe from any task, any number
    /// of times, before or after `close()`.
    public func shutdown() {
        _ = try? call("shutdown") { Int(Glibc.shutdown($0, Int32(SHUT_RDWR))) }
    }

    /// Half-close: the peer reads end of stream, and can still send.
    public func shutdownWriting() {
        _ = try? call("shutdown") { Int(Glibc.shutdown($0, Int32(SHUT_WR))) }
    }

    /// The owner's call: closes now, or as soon as the calls in flight have returned.
    public func close() {
        if state.bitwiseOr(1, ordering: .acquiringAndReleasing).oldValue == 0 { _ = Glibc.close(descriptor) }
    }
}
