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
}
