import BurrowSystem
import BurrowHTTP
import BurrowTLS

/// The requests of one intercepted connection, served strictly one at a time: a pipelined request
/// waits in the buffer until the answer before it is complete. Each is checked (its Host must be the
/// CONNECT host, its method and target must pass `network.rules`), then forwarded upstream and its
/// answer streamed back; after a 101 the two sides are spliced.
final class InterceptedSession: @unchecked Sendable {
    // @unchecked: owned by the one task serving the connection.
    let proxy: EgressProxy
    let box: TLSMessages
    let host: String
    let port: UInt16
    let trust: TLSClientContext
    let services: CredentialServices
    private var upstream: TLSMessages?
    private var upstreamSlot: ConnectionTable.Slot?

    init(proxy: EgressProxy, box: TLSMessages, host: String, port: UInt16, trust: TLSClientContext, services: CredentialServices) {
        self.services = services
        self.proxy = proxy
        self.box = box
        self.host = host
        self.port = port
        self.trust = trust
    }

    static let hopByHop: Set<String> = EgressProxy.hopByHop.union(["expect", "host"])

    func run() async {
        defer { dropUpstream() }
        do {
            while let head = try await box.readHead(RequestHead.self, limits: HTTPLimits()) {
                guard try await exchange(head) else { return }
            }
        } catch let error as HTTPError {
            try? await answer(error.status, error.message)
        } catch {}
    }

    /// One request and its answer; false when the connection ends after it.
    private func exchange(_ head: RequestHead) async throws -> Bool {
        let started = Monotonic.now()
        var event = NetEvent(phase: .denied, host: host, port: port, allowed: false, method: head.method.rawValue,
                             path: String(head.target.prefix(2048)))
        let hosts = head.headers.values("Host")
        guard hosts.count == 1, Self.sameHost(hosts[0], host: host, port: port) else {
            event.reason = "domain fronting: Host \(hosts.joined(separator: ", ").prefix(256)) inside a connection to \(host)"
            event.decidedBy = "policy"
            await proxy.report(event)
            try await answer(.forbidden, "Burrow's egress proxy refused the request: its Host is not \(host), the host this connection was opened for")
            return false
        }
        guard let target = RequestRule.normalized(head.target) else {
            event.reason = "the target is not a plain path (dot segments, escaped slashes or backslashes are refused)"
            event.decidedBy = "policy"
            await proxy.report(event)
            try await answer(.badRequest, "Burrow's egress proxy refused the request: " + event.reason!)
            return false
        }
        switch proxy.policy.rules.decide(host: host, port: port, method: head.method.rawValue, target: target) {
        case .refused(let rule):
            event.rule = rule
            if let (reason, decidedBy) = await proxy.askAboutRequest(host, port, head.method.rawValue, String(decoding: target, as: UTF8.self)) {
                event.decidedBy = decidedBy
                event.reason = decidedBy == "rule" ? "\(head.method) is not allowed here by network.rules" : reason
                await proxy.report(event)
                try await answer(.forbidden, """
                    Burrow's egress proxy refused \(head.method) \(head.target.prefix(512)) on \(host): \(decidedBy == "rule" ? (rule.isEmpty ? "no rule allows it" : rule) : reason).
                    To allow it, add "\(head.method) /path-glob" to network.rules["\(host)"] (or the repo's "rules") in Burrow's config.
                    """)
                return false
            }
            event.decidedBy = "person"
        case .allowed(let rule):
            event.rule = rule
            event.decidedBy = "rule"
        }
        let framing = try HeadParser.requestFraming(head.headers).get()
        guard let headers = try await credentialHeaders(head, &event), try await prescreen(framing, &event) else { return false }
        guard let upstream = try await openUpstream(&event) else { return false }
        let upgrade = head.headers.hasToken("upgrade", in: "Connection") && head.headers["Upgrade"] != nil
        if head.headers.hasToken("100-continue", in: "Expect") { try await box.stream.write(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)) }
        var text = "\(head.method) \(head.target) HTTP/1.1\r\nHost: \(hosts[0])\r\n"
        for field in headers where !Self.hopByHop.contains(field.name.lowercased()) { text += "\(field.name): \(field.value)\r\n" }
        if upgrade, let protocolName = head.headers["Upgrade"] { text += "Connection: Upgrade\r\nUpgrade: \(protocolName)\r\n" }
        try await upstream.stream.write(Array((text + "\r\n").utf8))
        guard let sent = try await relayRequestBody(framing, to: upstream, &event) else { return false }
        var status: StatusHead
        repeat {
            guard let next = try await upstream.readHead(StatusHead.self, limits: HTTPLimits()) else {
                throw HTTPError(.badGateway, "\(host) closed the connection without answering")
            }
            status = next
        } while status.status / 100 == 1 && status.status != 101
        event.phase = .closed
        event.allowed = true
        event.status = status.status
        if status.status == 101 && upgrade {
            try await box.stream.write(Self.serialize(status, keepUpgrade: true, close: false))
            let (up, down) = await TLSMessages.splice(box, upstream)
            finish(&event, sent: sent + up, received: down, started: started)
            await proxy.report(event)
            return false
        }
        let responseFraming = try HeadParser.responseFraming(status.headers, status: status.status, requestMethod: head.method).get()
        let upstreamCloses = responseFraming == .untilClose || status.headers.hasToken("close", in: "Connection")
        let keepAlive = !head.headers.hasToken("close", in: "Connection") && responseFraming != .untilClose
        try await box.stream.write(Self.serialize(status, keepUpgrade: false, close: !keepAlive))
        let received = try await upstream.relayBody(responseFraming, to: box.stream)
        if upstreamCloses { dropUpstream() }
        finish(&event, sent: sent, received: received, started: started)
        await proxy.report(event)
        return keepAlive
    }

    private func finish(_ event: inout NetEvent, sent: Int, received: Int, started: UInt64) {
        event.bytesSent = sent
        event.bytesReceived = received
        event.durationMs = Double(Monotonic.now() - started) / 1e6
    }

    /// The upstream connection, opened (and its certificate checked) on first use; nil after
    /// answering the box 502.
    private func openUpstream(_ event: inout NetEvent) async throws -> TLSMessages? {
        if let upstream { return upstream }
        do {
            let (socket, slot) = try await proxy.connectUpstream(host: host, port: port)
            upstreamSlot = slot
            let stream = try await TLSStream.connect(socket, context: trust, host: host)
            upstream = TLSMessages(stream)
            return upstream
        } catch {
            dropUpstream()
            event.allowed = true
            event.phase = .closed
            event.reason = "cannot reach \(host):\(port): \(error)"
            await proxy.report(event)
            try await answer(.badGateway, "Burrow's egress proxy cannot reach \(host):\(port): \(error)")
            return nil
        }
    }

    func dropUpstream() {
        upstream?.stream.socket.close()
        upstream = nil
        if let upstreamSlot { proxy.connections.remove(upstreamSlot) }
        upstreamSlot = nil
    }

    func answer(_ status: HTTPStatus, _ message: String) async throws {
        let body = Array((message + "\n").utf8)
        let head = "HTTP/1.1 \(status.code) \(status.reason)\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        try await box.stream.write(Array(head.utf8) + body)
    }

    static func serialize(_ status: StatusHead, keepUpgrade: Bool, close: Bool) -> [UInt8] {
        var text = "HTTP/1.1 \(status.status) \(status.reason)\r\n"
        for field in status.headers {
            let name = field.name.lowercased()
            if !EgressProxy.hopByHop.contains(name) || (keepUpgrade && (name == "upgrade" || name == "connection")) {
                text += "\(field.name): \(field.value)\r\n"
            }
        }
        if close { text += "Connection: close\r\n" }
        return Array((text + "\r\n").utf8)
    }

    /// `Host` names the CONNECT host (any case), with its port or none when the port is 443.
    static func sameHost(_ value: String, host: String, port: UInt16) -> Bool {
        let value = value.lowercased()
        return value == host.lowercased() || value == "\(host.lowercased()):\(port)"
    }
}
