import BurrowSystem

/// A connection handed over after `101 Switching Protocols` (or Podman's hijacked `200`): from here
/// on its bytes are the new protocol's. Whatever arrived with the head is in `leftover`; the owner of
/// the value closes its socket, once.
public struct UpgradedConnection: Sendable {
    public let status: Int
    public let headers: HTTPHeaders
    public let socket: AsyncSocket
    public let leftover: [UInt8]
}

/// What a route answers to take a connection over: the protocol named in `Upgrade`, and the task that
/// owns the connection until it returns (the server closes it then).
public struct HTTPUpgrade: Sendable {
    public let protocolName: String
    /// More fields of the `101` head (a WebSocket's `Sec-WebSocket-Accept`).
    public let headers: HTTPHeaders
    public let run: @Sendable (UpgradedConnection) async -> Void

    public init(protocolName: String, headers: HTTPHeaders = [:], run: @escaping @Sendable (UpgradedConnection) async -> Void) {
        self.protocolName = protocolName
        self.headers = headers
        self.run = run
    }

    package var head: [UInt8] {
        var head = "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: \(protocolName)\r\n"
        for field in headers where !field.name.caseInsensitiveEquals("Connection") && !field.name.caseInsensitiveEquals("Upgrade") {
            head += "\(field.name): \(field.value)\r\n"
        }
        return Array((head + "\r\n").utf8)
    }
}

extension HTTPResponse {
    /// `101 Switching Protocols`, then `upgrade` owns the connection.
    public static func upgrade(_ upgrade: HTTPUpgrade) -> HTTPResponse {
        var response = HTTPResponse(status: HTTPStatus(101, "Switching Protocols"))
        response.upgrade = upgrade
        return response
    }
}

extension HTTPConnection {
    /// Runs the upgrade on this connection, with the bytes already read; the server closes it after.
    package func hand(to upgrade: HTTPUpgrade) async throws {
        try await write(upgrade.head)
        let leftover = buffer
        buffer.removeAll()
        await upgrade.run(UpgradedConnection(status: 101, headers: [:], socket: socket, leftover: leftover))
    }
}

extension HTTPClient {
    /// Sends a request that takes the connection over (`Connection: Upgrade`) and returns it once the
    /// head of the answer arrives: `101`, or `200` from a server that hijacks without saying so
    /// (Podman's exec start). Any other status is read (bounded) and thrown with its body.
    public func upgrade(_ request: ClientRequest, protocolName: String) async throws -> UpgradedConnection {
        let connection = try await connect()
        do {
            var head = "\(request.method) \(request.target) HTTP/1.1\r\nHost: \(request.host)\r\nConnection: Upgrade\r\nUpgrade: \(protocolName)\r\n"
            for field in request.headers { head += "\(field.name): \(field.value)\r\n" }
            var body: [UInt8] = []
            if case .bytes(let bytes, let contentType) = request.body {
                head += "Content-Type: \(contentType)\r\n"
                body = bytes
            }
            head += "Content-Length: \(body.count)\r\n\r\n"
            try await Self.write(Array(head.utf8) + body, on: connection)
            guard let answer = try await connection.readHead(StatusHead.self, limits: HTTPLimits()) else {
                throw HTTPClientError.connectionLost("the server closed the connection without answering")
            }
            guard answer.status == 101 || answer.status == 200 else {
                let framing = try HeadParser.responseFraming(answer.headers, status: answer.status, requestMethod: request.method).get()
                let refusal = (try? await connection.readBody(framing, limit: 64 << 10)) ?? []
                connection.close()
                throw UpgradeRefused(status: answer.status, body: refusal)
            }
            let leftover = connection.buffer
            connection.buffer.removeAll()
            return UpgradedConnection(status: answer.status, headers: answer.headers, socket: connection.socket, leftover: leftover)
        } catch let error as UpgradeRefused {
            throw error
        } catch let error as HTTPError {
            connection.close()
            throw HTTPClientError.protocolError(error.description)
        } catch {
            connection.close()
            throw HTTPClientError.lost(error, while: "taking the connection over")
        }
    }
}

/// The server answered an upgrade with an ordinary response: its status and (bounded) body.
public struct UpgradeRefused: Error, Sendable {
    public let status: Int
    public let body: [UInt8]
}
