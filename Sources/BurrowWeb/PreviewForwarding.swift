import Synchronization
import BurrowSystem
import BurrowHTTP

/// One request relayed to a burrow's server, and its answer relayed back as the server wrote it.
/// Each request travels on a fresh upstream connection told `Connection: close`, so every request is
/// checked by Burrow (session cookie, port) and the answer ends where the server closes; a WebSocket
/// (an Upgrade request) stays spliced both ways after the server's `101`.
enum PreviewForwarding {
    /// Hop-by-hop fields are the relay's to write; Burrow's own cookies never reach the burrow.
    static let dropped: Set<String> = ["connection", "keep-alive", "proxy-connection", "proxy-authorization", "te", "trailer",
                                       "transfer-encoding", "upgrade", "content-length"]
    static let ownCookies: Set<Substring> = [Substring(PreviewSessions.cookieName), Substring(AccessControl.cookieName)]

    static func isUpgrade(_ request: HTTPRequest) -> Bool {
        request.headers.hasToken("upgrade", in: "Connection") && request.headers["Upgrade"] != nil
    }

    static func head(for request: HTTPRequest) -> [UInt8] {
        var text = "\(request.method) \(request.target) HTTP/1.1\r\n"
        for field in request.headers.fields where !dropped.contains(field.name.lowercased()) {
            if field.name.caseInsensitiveEquals("Cookie") {
                let kept = field.value.split(separator: ";").filter { pair in
                    !ownCookies.contains(pair.split(separator: "=", maxSplits: 1).first.map { $0.trimmingSpaces } ?? "")
                }
                if !kept.isEmpty { text += "Cookie: \(kept.map { $0.trimmingSpaces }.joined(separator: "; "))\r\n" }
                continue
            }
            text += "\(field.name): \(field.value)\r\n"
        }
        if isUpgrade(request) {
            text += "Connection: Upgrade\r\nUpgrade: \(request.headers["Upgrade"] ?? "")\r\n"
        } else {
            text += "Connection: close\r\n"
        }
        if !request.body.isEmpty || !["GET", "HEAD", "OPTIONS", "DELETE"].contains(request.method.rawValue) {
            text += "Content-Length: \(request.body.count)\r\n"
        }
        text += "\r\n"
        return Array(text.utf8) + request.body
    }

    /// Writes the request, waits up to `timeout` for the answer's head (a clear page if none comes),
    /// passes it on rewritten (`PreviewResponseHead`), then moves bytes until the server closes; both
    /// ways after a `101`. Returns whether the browser's connection may carry its next request: only
    /// after an answer whose `Content-Length` the server's bytes matched exactly.
    static func relay(_ client: HTTPConnection, upstream: AsyncSocket, request: HTTPRequest, timeout: Duration) async -> Bool {
        defer { upstream.close() }
        let switching: Bool
        let framing: PreviewResponseHead.Framing
        let sent: Int
        do {
            try await upstream.write(head(for: request))
            let answer = try await withDeadline(timeout, operation: "waiting for the burrow's server") { [upstream] () -> [UInt8] in
                var buffer: [UInt8] = []
                while PreviewResponseHead.length(buffer) == nil && buffer.count < PreviewResponseHead.maxBytes {
                    guard try await upstream.read(into: &buffer) > 0 else { break }
                }
                return buffer
            }
            guard let length = PreviewResponseHead.length(answer) else {
                await fail(client, PreviewPage.response(.badGateway, answer.isEmpty
                    ? "The server in the burrow closed the connection without answering."
                    : "The server in the burrow did not send a complete HTTP head (within \(PreviewResponseHead.maxBytes) bytes)."))
                return false
            }
            let rewritten = PreviewResponseHead.rewrite(answer[..<length], isHead: request.method == "HEAD")
            switching = rewritten.switching && isUpgrade(request)
            framing = switching ? .close : rewritten.framing
            sent = answer.count - length
            try await client.socket.write(rewritten.head + answer[length...])
        } catch is DeadlineExceeded {
            await fail(client, PreviewPage.response(HTTPStatus(504, "Gateway Timeout"), "The server in the burrow accepted the connection but did not answer within \(timeout)."))
            return false
        } catch {
            await fail(client, PreviewPage.response(.badGateway, "The connection to the server in the burrow failed: \(error)"))
            return false
        }
        if switching {
            if !client.buffer.isEmpty { try? await upstream.write(client.buffer) }
            async let up = copy(client.socket, upstream)
            async let down = copy(upstream, client.socket)
            _ = await (up, down)
            return false
        }
        guard case .length(let expected) = framing else {
            _ = await copy(upstream, client.socket, endingDestination: true)
            return false
        }
        let moved = sent + (await copy(upstream, client.socket, endingDestination: false) ?? -1)
        return moved == expected
    }

    /// Bytes moved until `source` ends (nil when either side failed: both are shut down then).
    @discardableResult
    private static func copy(_ source: AsyncSocket, _ destination: AsyncSocket, endingDestination: Bool = true) async -> Int? {
        do {
            let moved = try await source.splice(to: destination)
            if endingDestination { destination.shutdownWriting() }
            return moved
        } catch {
            source.shutdown()
            destination.shutdown()
            return nil
        }
    }

    private static func fail(_ client: HTTPConnection, _ response: HTTPResponse) async {
        try? await client.send(response, keepAlive: false)
    }
}

/// How many preview connections are open, against `previews`' own limit: previews never take what
/// Burrow's API needs (descriptors, tasks).
final class PreviewBudget: Sendable {
    let limit: Int
    private let open = Atomic<Int>(0)

    init(limit: Int) { self.limit = limit }

    func take() -> Bool {
        if open.add(1, ordering: .relaxed).newValue <= limit { return true }
        open.subtract(1, ordering: .relaxed)
        return false
    }

    func give() { open.subtract(1, ordering: .relaxed) }
}
