import CLinux
import Glibc
import Synchronization

/// A socket whose calls never block a thread: each call tries first and awaits readiness only after
/// the kernel says it would block.
public final class AsyncSocket: Sendable {
    public let socket: Socket
    private let readiness: Readiness
    private let loop: EventLoop
    private let closed = Atomic<Bool>(false)

    init(_ socket: Socket, loop: EventLoop = .shared) throws(SystemError) {
        self.socket = socket
        self.loop = loop
        self.readiness = try loop.register(socket)
    }

    public static func listening(on address: SocketAddress, loop: EventLoop = .shared) throws(SystemError) -> AsyncSocket {
        try AsyncSocket(Socket.listening(on: address), loop: loop)
    }

    public static func connect(to address: SocketAddress, loop: EventLoop = .shared) async throws -> AsyncSocket {
        let (socket, progress) = try Socket.connecting(to: address)
        let connection = try AsyncSocket(socket, loop: loop)
        if case .wouldBlock = progress {
            try await connection.readiness.waitWritable()
            let code = socket.pendingError()
            if code != 0 {
                connection.close()
                throw SystemError(call: "connect \(address)", code: code)
            }
        }
        return connection
    }

    public var localAddress: SocketAddress? { socket.localAddress }

    public func accept() async throws -> AsyncSocket {
        while true {
            switch try socket.accept() {
            case .done(let client): return try AsyncSocket(client, loop: loop)
            case .wouldBlock: try await readiness.waitReadable()
            }
        }
    }

    /// Appends what is available (up to `maxBytes`) to `buffer`; returns the count, 0 at end of stream.
    public func read(into buffer: inout [UInt8], maxBytes: Int = 65536) async throws -> Int {
        while true {
            let result = try withUnsafeTemporaryAllocation(byteCount: maxBytes, alignment: 16) { scratch throws(SystemError) -> IOResult<Int> in
                let result = try socket.read(into: scratch)
                if case .done(let count) = result, count > 0 {
                    buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[0..<count]))
                }
                return result
            }
            switch result {
            case .done(let count): return count
            case .wouldBlock: try await readiness.waitReadable()
            }
        }
    }

    public func write(_ bytes: [UInt8]) async throws {
        try await write(bytes[...])
    }

    public func write(_ bytes: ArraySlice<UInt8>) async throws {
        var offset = bytes.startIndex
        while offset < bytes.endIndex {
            let result = try bytes[offset...].withUnsafeBytes { raw throws(SystemError) in try socket.write(raw) }
            switch result {
            case .done(let count): offset += count
            case .wouldBlock: try await readiness.waitWritable()
            }
        }
    }

    /// Wakes every waiter with end-of-stream or an error; the owner still calls `close()`.
    public func shutdown() { socket.shutdown() }

    public func shutdownWriting() { socket.shutdownWriting() }

    /// Deregisters from epoll, then closes the descriptor; once only, so a later call can never
    /// deregister a descriptor number that another socket has reused since.
    public func close() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        loop.deregister(readiness, socket: socket)
        socket.close()
    }

    deinit { close() }

    /// The first byte on a Unix socket and the descriptor sent with it, if any (SCM_RIGHTS); nil byte
    /// at end of stream. The received descriptor comes back as a socket of its own.
    public func receiveDescriptor() async throws -> (byte: UInt8?, socket: AsyncSocket?) {
        var byte: UInt8 = 0
        var fd: Int32 = -1
        while true {
            switch try systemCall("recvmsg", { clinux_recv_fd(socket.fd, &byte, &fd) }) {
            case .done(0): return (nil, nil)
            case .done: return (byte, fd >= 0 ? try AsyncSocket(Socket(adopting: fd), loop: loop) : nil)
            case .wouldBlock: try await readiness.waitReadable()
            }
        }
    }

    /// Moves everything this socket receives to `destination` with splice(2) through a kernel pipe
    /// (the bytes never enter user space) until end of stream, then returns the count. Waits for
    /// readiness like `read` and `write`.
    public func splice(to destination: AsyncSocket) async throws -> Int {
        let pipe = try KernelPipe()
        var total = 0
        var inPipe = 0
        var ended = false
        while !ended || inPipe > 0 {
            if !ended {
                switch try systemCall("splice from socket", { clinux_splice(socket.fd, pipe.writeEnd, KernelPipe.size) }) {
                case .done(0): ended = true
                case .done(let count): inPipe += count
                case .wouldBlock: if inPipe == 0 { try await readiness.waitReadable(); continue }
                }
            }
            while inPipe > 0 {
                switch try systemCall("splice to socket", { clinux_splice(pipe.readEnd, destination.socket.fd, UInt(inPipe)) }) {
                case .done(let count):
                    inPipe -= count
                    total += count
                case .wouldBlock:
                    try await destination.readiness.waitWritable()
                }
            }
        }
        return total
    }
}

/// A non-blocking kernel pipe of 1 MiB for splice(2).
final class KernelPipe {
    static let size: UInt = 1 << 20
    let readEnd: Int32
    let writeEnd: Int32

    init() throws(SystemError) {
        // splice into a socket whose peer left raises SIGPIPE (send has MSG_NOSIGNAL, splice has no such flag).
        _ = Self.ignoreBrokenPipes
        var fds: [Int32] = [-1, -1]
        _ = try systemCallChecked("pipe2") { Int(clinux_pipe(&fds)) }
        readEnd = fds[0]
        writeEnd = fds[1]
        _ = clinux_set_pipe_size(writeEnd, Int32(Self.size))  // best effort: the default 64 KiB works too
    }

    deinit {
        Glibc.close(readEnd)
        Glibc.close(writeEnd)
    }

    private static let ignoreBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()
}
