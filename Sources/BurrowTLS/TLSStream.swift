import BurrowSystem

/// TLS over one of the project's non-blocking sockets. The session (`TLSEngine`) and the socket's
/// writes are used by one party at a time (`turn`), so ciphertext leaves in the order it was made
/// even while one task reads and another writes (a WebSocket after its upgrade). Nothing waits for
/// the socket while holding the turn except a write, which the proxy's idle limit bounds.
public final class TLSStream: @unchecked Sendable {
    // @unchecked: `engine` is touched only while `turn` is held.
    public let socket: AsyncSocket
    private let engine: TLSEngine
    private let turn = AsyncTurn()

    private init(socket: AsyncSocket, engine: TLSEngine) {
        self.socket = socket
        self.engine = engine
    }

    /// The box's side: completes the handshake presenting `host`'s certificate from `authority`.
    /// `leading`: bytes of the client's hello already read from the socket.
    public static func accept(_ socket: AsyncSocket, authority: TLSAuthority, host: String, leading: [UInt8] = []) async throws -> TLSStream {
        let stream = TLSStream(socket: socket, engine: try authority.serverSession(host: host))
        if !leading.isEmpty { stream.engine.feed(leading[...]) }
        try await stream.handshake()
        return stream
    }

    /// The upstream side: completes the handshake, the server's certificate checked against
    /// `context`'s trust and `host`.
    public static func connect(_ socket: AsyncSocket, context: TLSClientContext, host: String, serverName: String? = nil) async throws -> TLSStream {
        let stream = TLSStream(socket: socket, engine: try context.clientSession(host: host, serverName: serverName))
        try await stream.handshake()
        return stream
    }

    /// The name the client asked for (SNI), nil when it sent none.
    public var serverName: String? { engine.serverName }
    /// The ALPN protocol agreed, nil when none was.
    public var negotiatedProtocol: String? { engine.alpn }

    private func handshake() async throws {
        while true {
            switch try await withEngine({ $0.handshake() }) {
            case .done: return
            case .wantRead:
                guard try await fill() else { throw TLSError("the peer closed the connection during the TLS handshake") }
            case .closed: throw TLSError("the peer closed the connection during the TLS handshake")
            case .failed(let reason): throw TLSError(reason)
            }
        }
    }

    /// Appends plaintext to `buffer`; returns the count, 0 at the end of the stream.
    public func read(into buffer: inout [UInt8]) async throws -> Int {
        while true {
            var plain: [UInt8] = []
            switch try await withEngine({ $0.read(into: &plain) }) {
            case .done(let count) where count > 0:
                buffer.append(contentsOf: plain)
                return count
            case .done, .wantRead:
                if try await !fill() { return 0 }
            case .closed: return 0
            case .failed(let reason): throw TLSError(reason)
            }
        }
    }

    public func write(_ bytes: [UInt8]) async throws {
        guard !bytes.isEmpty else { return }
        if case .failed(let reason) = try await withEngine({ $0.write(bytes[...]) }) { throw TLSError(reason) }
    }

    /// Sends close_notify (best effort) and closes the socket.
    public func close() async {
        _ = try? await withEngine { $0.closeNotify(); return .done(0) }
        socket.close()
    }

    /// Ciphertext from the socket into the session; false at the end of the stream.
    private func fill() async throws -> Bool {
        var cipher: [UInt8] = []
        guard try await socket.read(into: &cipher, maxBytes: 1 << 16) > 0 else { return false }
        await turn.acquire()
        engine.feed(cipher[...])
        turn.release()
        return true
    }

    /// Runs one session call holding the turn, then sends what it produced.
    private func withEngine(_ call: (TLSEngine) -> TLSEngine.Step) async throws -> TLSEngine.Step {
        await turn.acquire()
        defer { turn.release() }
        let step = call(engine)
        let output = engine.takeOutput()
        if !output.isEmpty { try await socket.write(output) }
        return step
    }
}

/// A first-come first-served turn for async tasks: `acquire` suspends (a continuation, no thread
/// held) while another task holds it.
final class AsyncTurn: Sendable {
    private struct State {
        var held = false
        var waiting: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Locked(State())

    func acquire() async {
        if state.withLock({ state in state.held ? false : { state.held = true; return true }() }) { return }
        await withCheckedContinuation { continuation in
            let now = state.withLock { state -> Bool in
                if !state.held { state.held = true; return true }
                state.waiting.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiting.isEmpty { state.held = false; return nil }
            return state.waiting.removeFirst()
        }
        next?.resume()
    }
}
