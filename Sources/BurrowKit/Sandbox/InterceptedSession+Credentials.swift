import BurrowSystem
import BurrowHTTP

/// Credential services inside an intercepted connection: a placeholder toward a host that is not its
/// service's is refused (head or body), one toward its own host is replaced by the secret.
extension InterceptedSession {
    struct PlaceholderInBody: Error { let name: String }

    static func exfiltration(_ name: String, _ host: String) -> String {
        "exfiltration: the placeholder of credential \(name) on its way to \(host), which is not one of its hosts"
    }

    /// The headers to send upstream (secrets presented), or nil after refusing the request.
    func credentialHeaders(_ head: RequestHead, _ event: inout NetEvent) async throws -> HTTPHeaders? {
        if let name = services.exfiltration(host: host, port: port, [head.target] + head.headers.map(\.value)) {
            try await refuseCredential(name, &event)
            return nil
        }
        do {
            let (headers, used) = try await services.present(head.headers, host: host, port: port)
            event.credential = used.first
            return headers
        } catch {
            event.reason = "\(error)"
            event.decidedBy = "credential"
            await proxy.report(event)
            try await answer(.badGateway, "Burrow's egress proxy has no secret to present: \(error)")
            return nil
        }
    }

    /// Reads up to 64 KiB of a body of known length before anything goes upstream, and refuses the
    /// request when a foreign placeholder is in it: a small body carrying one never leaves at all.
    func prescreen(_ framing: BodyFraming, _ event: inout NetEvent) async throws -> Bool {
        let foreign = services.foreignPlaceholders(host: host, port: port)
        guard !foreign.isEmpty, case .length(let length) = framing else { return true }
        let wanted = min(length, 1 << 16)
        while box.buffer.count < wanted, try await box.stream.read(into: &box.buffer) > 0 {}
        var scanner = PlaceholderScanner(foreign.map(\.placeholder))
        guard let index = scanner.found(in: box.buffer.prefix(wanted)) else { return true }
        try await refuseCredential(foreign[index].name, &event)
        return false
    }

    /// Streams the request body upstream, stopping (and refusing the request) at a foreign placeholder:
    /// the upstream then has an unfinished request, which it does not act on. Nil when refused.
    func relayRequestBody(_ framing: BodyFraming, to upstream: TLSMessages, _ event: inout NetEvent) async throws -> Int? {
        let foreign = services.foreignPlaceholders(host: host, port: port)
        var scanner = PlaceholderScanner(foreign.map(\.placeholder))
        do {
            return try await box.relayBody(framing, to: upstream.stream) { piece in
                if let index = scanner.found(in: piece) { throw PlaceholderInBody(name: foreign[index].name) }
            }
        } catch let seen as PlaceholderInBody {
            dropUpstream()
            try await refuseCredential(seen.name, &event)
            return nil
        }
    }

    private func refuseCredential(_ name: String, _ event: inout NetEvent) async throws {
        event.phase = .denied
        event.allowed = false
        event.credential = name
        event.decidedBy = "credential"
        event.reason = Self.exfiltration(name, host)
        await proxy.report(event)
        try await answer(.forbidden, "Burrow's egress proxy refused the request: " + event.reason!)
    }
}
