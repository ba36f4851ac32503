import Foundation
import BurrowSystem
import BurrowHTTP
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One request from Burrow's model endpoint to the upstream: the same method, target, headers and
/// body, plus the credential; the answer streams back as it comes. A failure before any answer is a
/// 502 whose `X-Burrow-Vault-Error` says why (the endpoint reports it; the agent gets an API error).
final class VaultForwarder: Sendable {
    static let maxRequestBytes = 32 << 20
    static let errorHeader = "X-Burrow-Vault-Error"
    /// Framing belongs to each hop; URLSession has already decoded the content.
    static let notForwarded: Set<String> = ["host", "content-length", "transfer-encoding", "connection", "expect", "keep-alive",
                                            "content-encoding"]
    /// Bodies larger than this go upstream from a file: URLSession's in-memory upload holds two
    /// more copies of the body (its request's `Data` and a `DispatchData` made from it) until the
    /// answer ends.
    static let spoolAboveBytes = 1 << 20
    let upstream: URL
    let credential: VaultCredential
    let spoolFolder: String
    private let session = UpstreamSession()

    init(upstream: URL, credential: VaultCredential, spoolFolder: String) {
        self.upstream = upstream
        self.credential = credential
        self.spoolFolder = spoolFolder
    }

    func answer(_ request: HTTPRequest) async -> HTTPResponse {
        let stream: UpstreamStream
        do {
            stream = try start(request)
        } catch {
            return Self.failure(error)
        }
        do {
            guard case .head(let response) = try await stream.next() else { throw URLError(.badServerResponse) }
            var headers = HTTPHeaders()
            for (name, value) in response.allHeaderFields {
                guard let name = name as? String, let value = value as? String, !Self.notForwarded.contains(name.lowercased()) else { continue }
                headers.add(name, value)
            }
            let status = HTTPStatus(response.statusCode, HTTPURLResponse.localizedString(forStatusCode: response.statusCode))
            var answer = HTTPResponse(status: status, headers: headers, body: .stream({ writer in
                defer { stream.cancel() }
                while case .data(let piece)? = try await stream.next() { try await writer.write(piece) }
            }))
            answer.onAbandon = { stream.cancel() }
            return answer
        } catch {
            stream.cancel()
            return Self.failure(error)
        }
    }

    private func start(_ request: HTTPRequest) throws -> UpstreamStream {
        let sendsBody = !request.body.isEmpty && request.method != "GET" && request.method != "HEAD"
        guard sendsBody && request.body.count > Self.spoolAboveBytes else {
            return session.start(upstreamRequest(request, body: sendsBody))
        }
        let spooled = try SpooledBody(request.body, in: spoolFolder)
        return session.start(upstreamRequest(request, body: false), from: spooled)
    }

    private static func failure(_ error: any Error) -> HTTPResponse {
        let reason = UpstreamFailure.reason(error)
        var failure = HTTPResponse.text(reason, status: .badGateway)
        failure.headers[errorHeader] = reason
        return failure
    }

    private func upstreamRequest(_ request: HTTPRequest, body: Bool) -> URLRequest {
        var outgoing = URLRequest(url: URL(string: upstream.absoluteString.trimmingSuffix("/") + request.target) ?? upstream)
        outgoing.httpMethod = request.method.rawValue
        for field in request.headers where !Self.notForwarded.contains(field.name.lowercased()) {
            outgoing.addValue(field.value, forHTTPHeaderField: field.name)
        }
        for (name, value) in credential.headers {
            if name == "anthropic-beta", let existing = outgoing.value(forHTTPHeaderField: name) {
                outgoing.setValue(existing + "," + value, forHTTPHeaderField: name)
            } else {
                outgoing.setValue(value, forHTTPHeaderField: name)
            }
        }
        if body { outgoing.httpBody = Data(request.body) }
        return outgoing
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String { hasSuffix(suffix) ? String(dropLast(suffix.count)) : self }
}
