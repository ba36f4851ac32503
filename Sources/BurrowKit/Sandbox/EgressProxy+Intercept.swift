import BurrowSystem
import BurrowHTTP
import BurrowTLS

/// CONNECT to a host with `network.rules`: the proxy ends the box's TLS with a certificate from the
/// burrow's CA, reads each HTTP/1.1 request, checks it against the rules and forwards what they allow
/// over its own TLS connection upstream (verified against the host's trust store).
extension EgressProxy {
    func intercept(host: String, port: UInt16, _ connection: HTTPConnection, interception: Interception, id: ConnectionTable.Slot) async throws {
        var event = NetEvent(phase: .denied, host: host, port: port, allowed: false, method: "CONNECT", path: nil)
        if let refusal = policy.refusal(host: host, port: port), let (reason, decidedBy) = await askOrRefuse(host, port, "CONNECT", nil, refusal) {
            event.reason = reason
            event.decidedBy = decidedBy
            await report(event)
            try await refuse(connection, .forbidden, "Burrow's egress proxy refused \(host):\(port): \(reason)")
            return
        }
        try await connection.write(Array("HTTP/1.1 200 Connection Established\r\n\r\n".utf8))
        connections.set(id, phase: .reading, deadline: Monotonic.after(limits.headerTimeout))
        let box: TLSStream
        do {
            box = try await TLSStream.accept(connection.socket, authority: interception.authority, host: host, leading: connection.buffer)
            connection.buffer.removeAll()
        } catch {
            event.reason = "the box's TLS handshake for \(host) failed: \(error)"
            event.decidedBy = "policy"
            await report(event)
            return
        }
        if let name = box.serverName?.lowercased(), name != host.lowercased() {
            event.reason = "domain fronting: the box asked TLS for \(name.prefix(256)) inside CONNECT \(host)"
            event.decidedBy = "policy"
            await report(event)
            await box.close()
            return
        }
        connections.set(id, phase: .handling, deadline: .max)
        let session = InterceptedSession(proxy: self, box: TLSMessages(box), host: host, port: port, trust: interception.upstreamTrust,
                                         services: interception.services)
        await session.run()
        await box.close()
    }

    /// A plain `http://` request to a host with rules: refused (answered 403, reported) when they
    /// do not allow it.
    func refusedByRules(host: String, port: UInt16, method: String, target: String, headers: HTTPHeaders, _ connection: HTTPConnection) async throws -> Bool {
        if let name = interception?.services.exfiltration(host: host, port: port, [target] + headers.map(\.value)) {
            var event = NetEvent(phase: .denied, host: host, port: port, allowed: false, method: method, path: target)
            (event.reason, event.credential, event.decidedBy) = (InterceptedSession.exfiltration(name, host), name, "credential")
            await report(event)
            try await refuse(connection, .forbidden, "Burrow's egress proxy refused the request: " + event.reason!)
            return true
        }
        guard policy.rules.intercepts(host: host, port: port) else { return false }
        var rule = "the target is not a plain path"
        if let normalized = RequestRule.normalized(target) {
            guard case .refused(let refusing) = policy.rules.decide(host: host, port: port, method: method, target: normalized) else { return false }
            rule = refusing
        }
        var event = NetEvent(phase: .denied, host: host, port: port, allowed: false, method: method, path: target)
        (event.reason, event.rule, event.decidedBy) = ("refused by network.rules", rule, "rule")
        if let normalized = RequestRule.normalized(target) {
            guard let (reason, decidedBy) = await askAboutRequest(host, port, method, String(decoding: normalized, as: UTF8.self)) else { return false }
            (event.reason, event.decidedBy) = (reason, decidedBy)
            if decidedBy != "rule" { rule = reason }
        }
        await report(event)
        try await refuse(connection, .forbidden, "Burrow's egress proxy refused \(method) \(target.prefix(512)) on \(host): \(rule)")
        return true
    }

    /// A socket to `host`, checked against the policy's addresses; registered for the idle limit.
    func connectUpstream(host: String, port: UInt16) async throws -> (AsyncSocket, ConnectionTable.Slot) {
        var lastError: any Error = NameResolver.Failure(host: host, reason: "no address")
        for address in try await policy.addresses(host: host, port: port) {
            do {
                let socket = try await AsyncSocket.connect(to: address)
                return (socket, connections.add(socket, deadline: .max, idleLimit: limits.idleNanoseconds))
            } catch { lastError = error }
        }
        throw lastError
    }
}
