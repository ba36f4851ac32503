import Synchronization
import BurrowSystem

/// How long a peer may take. A client that trickles its headers is cut off after `headerRead`.
public struct ServerTimeouts: Sendable {
    public var headerRead = Duration.seconds(5)
    public var bodyRead = Duration.seconds(30)
    public var idle = Duration.seconds(60)
    public init() {}
}

/// An HTTP/1.1 server on the epoll socket layer: one lightweight task per connection, never a thread.
public final class HTTPServer: Sendable {
    public typealias Handler = @Sendable (HTTPRequest) async -> HTTPResponse

    public let address: SocketAddress
    private let listener: AsyncSocket
    private let handler: Handler
    private let bodyLimit: @Sendable (HTTPMethod, String) -> Int?
    private let limits: HTTPLimits
    private let timeouts: ServerTimeouts
    private let connections = ConnectionTable()
    private let stopping = Atomic<Bool>(false)
    private let finished = Locked<[CheckedContinuation<Void, Never>]?>([])

    /// Serves on `listener`, bound already (so callers know the real port before building handlers).
    public init(
        listener: AsyncSocket,
        limits: HTTPLimits = HTTPLimits(),
        timeouts: ServerTimeouts = ServerTimeouts(),
        bodyLimit: @escaping @Sendable (_ method: HTTPMethod, _ path: String) -> Int? = { _, _ in nil },
        handler: @escaping Handler
    ) {
        self.listener = listener
        self.address = listener.localAddress ?? .ipv4("0.0.0.0", port: 0)
        self.handler = handler
        self.bodyLimit = bodyLimit
        self.limits = limits
        self.timeouts = timeouts
    }

    public var openConnections: Int { connections.count }

    /// Accepts and serves until `shutdown` is called and every connection has ended.
    public func run() async {
        let sweeper = Task.detached { [connections] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(250))
                connections.sweep(now: Monotonic.now())
            }
        }
        await withDiscardingTaskGroup { group in
            while !stopping.load(ordering: .relaxed) {
                let loop = EventLoop.next()
                guard let socket = try? await listener.accept(onto: loop) else {
                    if stopping.load(ordering: .relaxed) { break }
                    try? await Task.sleep(for: .milliseconds(10))  // EMFILE and friends: back off, keep serving
                    continue
                }
                let slot = connections.add(socket, deadline: Monotonic.after(timeouts.idle))
                // Connections spread over the loops (one per core); their tasks run on the cooperative pool.
                group.addTask { await self.serve(HTTPConnection(socket), slot: slot) }
            }
        }
        sweeper.cancel()
        listener.close()
        let waiters = finished.withLock { waiters in defer { waiters = nil }; return waiters ?? [] }
        for waiter in waiters { waiter.resume() }
    }

    /// Stops accepting, lets requests in flight finish for up to `grace`, then cuts off the rest.
    /// Idle keep-alive connections and event streams end at once (browsers reconnect on their own).
    public func shutdown(grace: Duration = .seconds(5)) async {
        guard !stopping.exchange(true, ordering: .relaxed) else { return await waitUntilFinished() }
        listener.shutdown()
        connections.shutdown(phases: [.idle, .streaming])
        let deadline = Monotonic.after(grace)
        while connections.count > 0 && Monotonic.now() < deadline {
            try? await Task.sleep(for: .milliseconds(20))
            connections.shutdown(phases: [.idle, .streaming])
        }
        connections.shutdown(phases: [.idle, .reading, .handling, .streaming])
        await waitUntilFinished()
    }

    private func waitUntilFinished() async {
        await withCheckedContinuation { continuation in
            let done = finished.withLock { waiters -> Bool in
                guard waiters != nil else { return true }
                waiters!.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    private func serve(_ connection: HTTPConnection, slot: ConnectionTable.Slot) async {
        defer {
            connections.remove(slot)
            connection.close()
        }
        while !stopping.load(ordering: .relaxed) {
            do {
                guard try await serveOne(connection, slot: slot) else { return }
            } catch let error as HTTPError {
                try? await connection.send(.error(error), keepAlive: false, isHead: false)
                return
            } catch {
                return
            }
        }
    }

    /// Reads one request and answers it. Returns whether the connection stays open.
    private func serveOne(_ connection: HTTPConnection, slot: ConnectionTable.Slot) async throws -> Bool {
        slot.set(phase: .idle, deadline: Monotonic.after(connection.hasBufferedBytes ? timeouts.headerRead : timeouts.idle))
        guard let head = try await connection.readHead(RequestHead.self, limits: limits, onFirstBytes: {
            slot.set(phase: .reading, deadline: Monotonic.after(self.timeouts.headerRead))
        }) else { return false }
        let version = HTTPVersion(rawValue: head.version) ?? .http11
        // RFC 9112 §3.2: a 1.1 request without Host is malformed.
        let hosts = head.headers.values("Host")
        if version == .http11 && hosts.isEmpty { throw HTTPError(.badRequest, "the Host header is required") }
        if hosts.count > 1 { throw HTTPError(.badRequest, "more than one Host header") }
        let framing = try HeadParser.requestFraming(head.headers).get()
        var request = HTTPRequest(method: head.method, target: head.target, version: version, headers: head.headers)
        if framing != .none {
            let limit = bodyLimit(request.method, request.path) ?? limits.maxBodyBytes
            slot.set(phase: .reading, deadline: Monotonic.after(timeouts.bodyRead))
            if case .length(let length) = framing, length > limit {
                throw HTTPError(.payloadTooLarge, "the body exceeds \(limit) bytes")
            }
            if head.headers["Expect"]?.lowercased() == "100-continue" {
                try await connection.write(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
            }
            request.body = try await connection.readBody(framing, limit: limit)
        }
        slot.set(phase: .handling, deadline: .max)
        let response = await handler(request)
        if let upgrade = response.upgrade {
            slot.set(phase: .streaming, deadline: .max)
            try await connection.hand(to: upgrade)
            return false
        }
        if let takeover = response.takeover {
            slot.set(phase: .streaming, deadline: .max)
            return await takeover(connection) && request.wantsKeepAlive && !stopping.load(ordering: .relaxed)
        }
        let keepAlive = request.wantsKeepAlive && !stopping.load(ordering: .relaxed)
        if case .stream = response.body { slot.set(phase: .streaming, deadline: .max) }
        try await connection.send(response, keepAlive: keepAlive, isHead: request.method == "HEAD", announceKeepAlive: version == .http10)
        return keepAlive
    }
}
