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
    private let activity = Atomic<UInt64>(Monotonic.now())

    /// When a byte last moved on this socket (Monotonic nanoseconds): idle limits measure from it.
    public var lastActivity: UInt64 { activity.load(ordering: .relaxed) }
    private func moved() { activity.store(Monotonic.now(), ordering: .relaxed) }

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

    /// The next connection, watched by `target` (this socket's loop unless told).
    public func accept(onto target: EventLoop? = nil) async throws -> AsyncSocket {
        while true {
            switch try socket.accept() {
            case .done(let client): return try AsyncSocket(client, loop: target ?? loop)
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
            case .done(let count): moved(); return count
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
            case .done(let count): offset += count; moved()
            case .wouldBlock: try await readiness.waitWritable()
            }
        }
    }

    /// Wakes every waiter with end-of-stream or an error; the owner still calls `close()`.
    public func shutdown() { socket.shutdown() }

    /// For parties other than the owner: ends every wait on this socket now and for good (they throw
    /// `SocketClosed`, whatever the kernel does with a shut-down socket of this kind: a Unix
    /// listener's `accept` never fails after `shutdown`). The owner's loop ends and closes it.
    public func stop() {
        socket.shutdown()
        readiness.close()
    }

    public func shutdownWriting() { socket.shutdownWriting() }

    /// Deregisters from epoll, then closes the descriptor; once only, so a later call can never
    /// deregister a descriptor number that another socket has reused since.
    public func close() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        loop.deregister(readiness, socket: socket)
        socket.close()
    }

    deinit { close() }

    /// The uid of the process at the other end of this Unix socket.
    public var peerUID: UInt32? { socket.peerUID }

    /// The first byte on a Unix socket and what came with it (SCM_RIGHTS): see `Handover`.
    public func receiveHandover() async throws -> Handover {
        var byte: UInt8 = 0
        var fds = [Int32](repeating: -1, count: Int(CLINUX_MAX_RECEIVED_FDS))
        var count: Int32 = 0
        var truncated: Int32 = 0
        while true {
            let result = try socket.call("recvmsg") { fd in
                fds.withUnsafeMutableBufferPointer { clinux_recv_fds(fd, &byte, $0.baseAddress, Int32($0.count), &count, &truncated) }
            }
            switch result {
            case .done(0):
                Handover.closeAll(fds.prefix(Int(count)))
                return .end
            case .done:
                return try Handover.judge(byte: byte, fds: Array(fds.prefix(Int(count))), truncated: truncated != 0, loop: loop)
            case .wouldBlock:
                try await readiness.waitReadable()
            }
        }
    }

    /// Moves everything this socket receives to `destination` until end of stream, then returns the
    /// count: with splice(2) through a kernel pipe (the bytes never enter user space) where no foreign
    /// descriptor could make it block, else by copying. Waits for readiness like `read` and `write`.
    public func splice(to destination: AsyncSocket) async throws -> Int {
        if socket.isForeign || (destination.socket.isForeign && !KernelPipe.spliceToSocketHonoursNonblock) {
            return try await copy(to: destination)
        }
        let pipe = try KernelPipe()
        var total = 0
        var inPipe = 0
        var ended = false
        while !ended || inPipe > 0 {
            if !ended {
                switch try socket.call("splice from socket", { clinux_splice($0, pipe.writeEnd, KernelPipe.size) }) {
                case .done(0): ended = true
                case .done(let count): inPipe += count; moved()
                case .wouldBlock: if inPipe == 0 { try await readiness.waitReadable(); continue }
                }
            }
            while inPipe > 0 {
                switch try destination.socket.call("splice to socket", { clinux_splice(pipe.readEnd, $0, UInt(inPipe)) }) {
                case .done(let count):
                    inPipe -= count
                    total += count
                    destination.moved()
                case .wouldBlock:
                    try await destination.readiness.waitWritable()
                }
            }
        }
        return total
    }

    /// `splice` for a foreign source: splice(2) from a TCP socket blocks when its file is blocking
    /// (SPLICE_F_NONBLOCK only covers the pipe), and the sender can clear O_NONBLOCK on its copy at any
    /// moment; recv/send with MSG_DONTWAIT cannot block.
    private func copy(to destination: AsyncSocket) async throws -> Int {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 16)
        var total = 0
        while true {
            buffer.removeAll(keepingCapacity: true)
            let count = try await read(into: &buffer, maxBytes: 1 << 16)
            if count == 0 { return total }
            try await destination.write(buffer)
            total += count
        }
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

    /// Linux 6.5 and later pass SPLICE_F_NONBLOCK on to the socket (MSG_DONTWAIT) when splicing into
    /// it; earlier kernels follow the file's O_NONBLOCK, which a foreign holder can clear.
    static let spliceToSocketHonoursNonblock: Bool = {
        var name = utsname()
        uname(&name)
        let release = withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let numbers = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        guard numbers.count == 2 else { return false }
        return numbers[0] > 6 || (numbers[0] == 6 && numbers[1] >= 5)
    }()
}
