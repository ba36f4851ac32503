import FoundationEssentials
import Synchronization
import BurrowSystem
import BurrowHTTP
import BurrowPodman

/// One burrow's only way out: an HTTP proxy on a Unix socket that Burrow mounts into its container
/// (reached there through `burrow-forwarder` on 127.0.0.1). Three kinds of request arrive:
/// `CONNECT host:port` (a tunnel; TLS stays end to end), an absolute `http://` URI (plain HTTP,
/// forwarded), and an origin-form path, which is the model endpoint. Every connection is checked
/// against the burrow's policy and reported; names are resolved here, on the host.
///
/// Only the burrow may use it: a peer whose uid `allowPeer` refuses is cut off before a byte is
/// read. What a burrow can take of Burrow's own resources is bounded by `limits`.
public final class EgressProxy: Sendable {
    public typealias Report = @Sendable (NetEvent) async -> Void
    public typealias PeerCheck = @Sendable (UInt32) -> Bool

    public let socketPath: String
    let policy: EgressPolicy
    let model: ModelEndpoint?
    let report: Report
    let limits: ProxyLimits
    let allowPeer: PeerCheck
    /// Where requests to unlisted hosts wait for a person (`network.unlisted: "ask"`); nil: denied.
    let asks: AskDesk?
    /// The burrow's CA and upstream trust, for hosts with `network.rules` (nil: every CONNECT tunnels).
    let interception: Interception?
    /// Owned by `run()`, which closes it when its loop ends; everyone else only `stop()`s it.
    private let listener: AsyncSocket
    let connections = ConnectionTable()
    private let tasks = TaskGroupBox()
    private let stopping = Atomic<Bool>(false)
    private let active = Atomic<Int>(0)
    private let capReported = Atomic<Bool>(false)
    private let acceptFailures = Atomic<Int>(0)

    public init(socketPath: String, policy: EgressPolicy, model: ModelEndpoint?, limits: ProxyLimits = ProxyLimits(),
                asks: AskDesk? = nil, interception: Interception? = nil, allowPeer: @escaping PeerCheck, report: @escaping Report) throws {
        self.interception = interception
        self.socketPath = socketPath
        self.asks = asks
        self.policy = policy
        self.model = model
        self.report = report
        self.limits = limits
        self.allowPeer = allowPeer
        listener = try AsyncSocket.listening(on: .unix(socketPath))
        // The agent's uid inside the container maps to an unrelated host uid: it must be able to
        // connect. Connecting needs write permission only; the peer check decides who is served.
        FileSystem.setMode(socketPath, 0o602)
    }

    public var openConnections: Int { active.load(ordering: .relaxed) }
    /// Times `accept` failed and the loop backed off (EMFILE and friends).
    var failedAccepts: Int { acceptFailures.load(ordering: .relaxed) }

    /// Accepts until `shutdown()`; survives running out of descriptors (backs off and goes on).
    public func run() async {
        let sweeper = Task.detached { [connections] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(250))
                connections.sweep(now: Monotonic.now())
            }
        }
        var backoff = Backoff(initial: .milliseconds(5), maximum: .milliseconds(500))
        while !stopping.load(ordering: .relaxed) {
            do {
                let client = try await listener.accept()
                backoff.reset()
                admitOrRefuse(client)
            } catch {
                if stopping.load(ordering: .relaxed) || error is SocketClosed { break }
                // EMFILE, ENFILE, ENOBUFS…: connections waiting in the backlog are served once
                // descriptors free up.
                acceptFailures.add(1, ordering: .relaxed)
                try? await backoff.wait()
            }
        }
        sweeper.cancel()
        await sweeper.value
        listener.close()
    }

    /// Signals only: the accept loop ends and closes the listener itself, connections are shut
    /// down and their tasks close them.
    public func shutdown() {
        guard !stopping.exchange(true, ordering: .relaxed) else { return }
        listener.stop()
        connections.shutdown(phases: [.idle, .reading, .handling, .streaming])
        tasks.cancelAll()
        FileSystem.remove(socketPath)
    }

    private func admitOrRefuse(_ client: AsyncSocket) {
        let uid = client.peerUID
        guard let uid, allowPeer(uid) else {
            client.close()
            let who = uid.map { "peer uid \($0) is not this burrow" } ?? "the peer's uid is unknown"
            tasks.add { await self.report(.socketRefused(who)) }
            return
        }
        guard active.add(1, ordering: .relaxed).newValue <= limits.maxConnections else {
            active.subtract(1, ordering: .relaxed)
            client.close()
            if !capReported.exchange(true, ordering: .relaxed) {
                let reason = "the burrow has \(limits.maxConnections) connections open (network.maxConnections); more are refused"
                tasks.add { await self.report(.socketRefused(reason)) }
            }
            return
        }
        let id = connections.add(client, deadline: Monotonic.after(limits.headerTimeout), idleLimit: limits.idleNanoseconds)
        tasks.add {
            await self.admit(client, id: id)
            self.connections.remove(id)
            if self.active.subtract(1, ordering: .relaxed).newValue < self.limits.maxConnections {
                self.capReported.store(false, ordering: .relaxed)
            }
        }
    }

    /// burrow-forwarder hands over the agent's own TCP connection (SCM_RIGHTS) and hangs up: it is
    /// served directly, with no relay in between. A client speaking HTTP on the socket itself works too.
    private func admit(_ unixConnection: AsyncSocket, id: ConnectionTable.Slot) async {
        let handover = (try? await unixConnection.receiveHandover()) ?? .end
        switch handover {
        case .end:
            unixConnection.close()
        case .refused(let reason):
            unixConnection.close()
            await report(.socketRefused(reason))
        case .byte(let byte):
            await serve(unixConnection, leading: [byte], id: id)
        case .connection(let passed):
            unixConnection.close()
            connections.remove(id)
            let passedID = connections.add(passed, deadline: Monotonic.after(limits.headerTimeout), idleLimit: limits.idleNanoseconds)
            defer { connections.remove(passedID) }
            if stopping.load(ordering: .relaxed) { passed.close(); return }
            await serve(passed, leading: [], id: passedID)
        }
    }

    private func serve(_ socket: AsyncSocket, leading: [UInt8], id: ConnectionTable.Slot) async {
        let connection = HTTPConnection(socket)
        connection.buffer = leading
        var headLimits = HTTPLimits()
        headLimits.acceptsProxyForms = true
        defer { connection.close() }
        do {
            while true {
                connections.set(id, phase: .reading, deadline: Monotonic.after(limits.headerTimeout))
                guard let head = try await connection.readHead(RequestHead.self, limits: headLimits) else { return }
                connections.set(id, phase: .handling, deadline: .max)
                if head.method == "CONNECT" {
                    try await tunnel(head, connection, id: id)
                    return
                }
                if head.target.lowercased().hasPrefix("http://") {
                    try await forwardPlain(head, connection)
                    return
                }
                guard let model else {
                    try await refuse(connection, .notFound, "no model endpoint: Burrow has no credentials.anthropic configured")
                    return
                }
                guard try await model.forward(head, connection, report: report) else { return }
            }
        } catch let error as HTTPError {
            try? await refuse(connection, error.status, error.message)
        } catch {}
    }
    /// `CONNECT host:port`: check, connect, answer 200, then bytes both ways.
    private func tunnel(_ head: RequestHead, _ connection: HTTPConnection, id: ConnectionTable.Slot) async throws {
        guard let (host, port) = Self.authority(head.target, defaultPort: 443) else {
            throw HTTPError(.badRequest, "CONNECT needs host:port")
        }
        if let interception, interception.intercepts(host: host, port: port, rules: policy.rules) {
            try await intercept(host: host, port: port, connection, interception: interception, id: id)
            return
        }
        guard let upstream = try await open(host: host, port: port, method: "CONNECT", path: nil, connection) else { return }
        try await connection.write(Array("HTTP/1.1 200 Connection Established\r\n\r\n".utf8))
        try await pass(leftover: connection, to: upstream, host: host, port: port, method: "CONNECT", path: nil, started: Monotonic.now())
    }

    /// `GET http://host/path`: the request goes on in origin form, with `Connection: close` so the
    /// next request on this connection (perhaps for another host) is checked again.
    private func forwardPlain(_ head: RequestHead, _ connection: HTTPConnection) async throws {
        let rest = head.target.dropFirst("http://".count)
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        guard let (host, port) = Self.authority(String(rest[..<authorityEnd]), defaultPort: 80) else {
            throw HTTPError(.badRequest, "malformed absolute URI")
        }
        var path = String(rest[authorityEnd...])
        if path.isEmpty || path.hasPrefix("?") { path = "/" + path }
        if try await refusedByRules(host: host, port: port, method: head.method.rawValue, target: path, headers: head.headers, connection) { return }
        guard let upstream = try await open(host: host, port: port, method: head.method.rawValue, path: path, connection) else { return }
        // The Host the upstream sees is the host that was checked, never the client's own.
        var text = "\(head.method) \(path) \(head.version)\r\nHost: \(host.contains(":") ? "[\(host)]" : host)\(port == 80 ? "" : ":\(port)")\r\n"
        for field in head.headers where !Self.hopByHop.contains(field.name.lowercased()) && field.name.lowercased() != "host" {
            text += "\(field.name): \(field.value)\r\n"
        }
        text += "Connection: close\r\n\r\n"
        try await upstream.write(Array(text.utf8))
        try await pass(leftover: connection, to: upstream, host: host, port: port, method: head.method.rawValue, path: path, started: Monotonic.now())
    }

    static let hopByHop: Set<String> = ["connection", "proxy-connection", "keep-alive", "proxy-authorization", "proxy-authenticate", "te", "trailer", "upgrade"]

    /// Checks the policy and connects; on refusal answers 403 and reports it (nil).
    private func open(host: String, port: UInt16, method: String, path: String?, _ connection: HTTPConnection) async throws -> AsyncSocket? {
        var event = NetEvent(phase: .denied, host: host, port: port, allowed: false, method: method, path: path)
        if let refusal = policy.refusal(host: host, port: port), let (reason, decidedBy) = await askOrRefuse(host, port, method, path, refusal) {
            event.reason = reason
            event.decidedBy = decidedBy
            await report(event)
            try await refuse(connection, .forbidden, "Burrow's egress proxy refused \(host):\(port): \(reason)")
            return nil
        }
        do {
            var lastError: any Error = NameResolver.Failure(host: host, reason: "no address")
            for address in try await policy.addresses(host: host, port: port) {
                do { return try await AsyncSocket.connect(to: address) } catch { lastError = error }
            }
            throw lastError
        } catch {
            event.allowed = true
            event.phase = .closed
            event.reason = "\(error)"
            await report(event)
            try await refuse(connection, .badGateway, "cannot reach \(host):\(port): \(error)")
            return nil
        }
    }

    private func pass(leftover connection: HTTPConnection, to upstream: AsyncSocket, host: String, port: UInt16, method: String, path: String?, started: UInt64) async throws {
        await report(NetEvent(phase: .opened, host: host, port: port, allowed: true, method: method, path: path))
        var sentFirst = 0
        if !connection.buffer.isEmpty {
            try await upstream.write(connection.buffer)
            sentFirst = connection.buffer.count
            connection.buffer.removeAll()
        }
        let (sent, received) = await Splice.run(connection.socket, upstream)
        await report(NetEvent(phase: .closed, host: host, port: port, allowed: true, method: method, path: path,
                              bytesSent: sent + sentFirst, bytesReceived: received,
                              durationMs: Double(Monotonic.now() - started) / 1e6))
    }

    func refuse(_ connection: HTTPConnection, _ status: HTTPStatus, _ message: String) async throws {
        try await connection.send(.text(message + "\n", status: status), keepAlive: false)
    }

    /// `host:port` or `[v6]:port` or a bare host.
    static func authority(_ text: String, defaultPort: UInt16) -> (String, UInt16)? {
        var host = Substring(text)
        var port = defaultPort
        if let colon = text.lastIndex(of: ":"), !text.hasSuffix("]") {
            guard let number = UInt16(text[text.index(after: colon)...]) else { return nil }
            port = number
            host = text[..<colon]
        }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        guard !host.isEmpty, port > 0 else { return nil }
        return (String(host), port)
    }
}

/// The tasks serving one proxy's connections, so that shutting the proxy down ends them. A task
/// leaves the box when it ends, so a burrow opening connections in a loop does not grow it.
final class TaskGroupBox: Sendable {
    private struct Tasks {
        var running: [UInt64: Task<Void, Never>] = [:]
        var endedEarly: Set<UInt64> = []
    }
    private let tasks = Locked(Tasks())
    private let nextID = Atomic<UInt64>(1)

    func add(_ body: @escaping @Sendable () async -> Void) {
        let id = nextID.add(1, ordering: .relaxed).newValue
        let task = Task {
            await body()
            self.tasks.withLock { tasks in
                if tasks.running.removeValue(forKey: id) == nil { tasks.endedEarly.insert(id) }
            }
        }
        tasks.withLock { tasks in
            if tasks.endedEarly.remove(id) == nil { tasks.running[id] = task }
        }
    }

    var count: Int { tasks.withLock { $0.running.count } }

    func cancelAll() {
        for task in tasks.withLock({ Array($0.running.values) }) { task.cancel() }
    }
}
