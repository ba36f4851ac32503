import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Burrow's model endpoint: the burrow's `ANTHROPIC_BASE_URL`. A request arrives with the placeholder
/// key; it leaves for the upstream (default https://api.anthropic.com) with the real credential instead,
/// and the answer streams back piece by piece as it comes (the API answers in SSE; nothing is held
/// whole). URLSession makes the upstream request, so TLS needs no package.
public final class ModelEndpoint: Sendable {
    public let upstream: URL
    let credential: Credential
    static let maxRequestBytes = 32 << 20

    public init(upstream: URL, credential: Credential) {
        self.upstream = upstream
        self.credential = credential
    }

    /// Serves one request; returns whether the connection may carry another.
    func forward(_ head: MessageHead, _ connection: HTTPConnection, report: EgressProxy.Report) async throws -> Bool {
        let started = Monotonic.now()
        let body = try await connection.readBody(try HeadParser.requestFraming(head.headers).get(), limit: Self.maxRequestBytes)
        var request = URLRequest(url: URL(string: upstream.absoluteString.trimmingSuffix("/") + head.second) ?? upstream)
        request.httpMethod = head.first
        for field in head.headers where !Self.dropped.contains(field.name.lowercased()) {
            request.addValue(field.value, forHTTPHeaderField: field.name)
        }
        for (name, value) in credential.headers {
            if name == "anthropic-beta", let existing = request.value(forHTTPHeaderField: name) {
                request.setValue(existing + "," + value, forHTTPHeaderField: name)
            } else {
                request.setValue(value, forHTTPHeaderField: name)
            }
        }
        if !body.isEmpty { request.httpBody = Data(body) }
        var event = NetEvent(phase: .model, host: upstream.host ?? "", port: UInt16(upstream.port ?? (upstream.scheme == "https" ? 443 : 80)),
                             allowed: true, method: head.first, path: head.second, bytesSent: body.count, bytesReceived: 0)
        let keepAlive = !head.headers.hasToken("close", in: "Connection") && head.third == "HTTP/1.1"
        let stream = UpstreamStream(request)
        defer { stream.cancel() }
        do {
            guard case .head(let response) = try await stream.next() else { throw URLError(.badServerResponse) }
            event.status = response.statusCode
            var headers = HTTPHeaders()
            for (name, value) in response.allHeaderFields {
                guard let name = name as? String, let value = value as? String, !Self.droppedFromResponse.contains(name.lowercased()) else { continue }
                headers.add(name, value)
            }
            let status = HTTPStatus(response.statusCode, HTTPURLResponse.localizedString(forStatusCode: response.statusCode))
            // The body follows piece by piece below, counted as it goes; the head says chunked.
            let head = HTTPResponse(status: status, headers: headers, body: .stream({ _ in }))
            try await connection.write(head.serializedHead(keepAlive: keepAlive, isHead: false))
            var received = 0
            while case .data(let piece)? = try await stream.next() {
                received += piece.count
                try await connection.write(ChunkedEncoder.chunk(piece))
            }
            try await connection.write(ChunkedEncoder.end)
            event.bytesReceived = received
        } catch let error as HTTPClientError {
            throw error
        } catch {
            if event.status == nil {
                event.reason = "\(error)"
                let message = "Burrow's model endpoint cannot reach \(upstream.absoluteString): \(error)\n"
                try? await connection.send(.text(message, status: .badGateway), keepAlive: keepAlive)
            }
            event.durationMs = Double(Monotonic.now() - started) / 1e6
            await report(event)
            return event.status == nil && keepAlive
        }
        event.durationMs = Double(Monotonic.now() - started) / 1e6
        await report(event)
        return keepAlive
    }

    /// Never passed on: hop-by-hop fields, framing (URLSession frames), the placeholder key, and
    /// Accept-Encoding (URLSession would decode the body while the header still said gzip).
    static let dropped: Set<String> = EgressProxy.hopByHop.union(["host", "content-length", "transfer-encoding", "x-api-key", "authorization", "accept-encoding"])
    static let droppedFromResponse: Set<String> = EgressProxy.hopByHop.union(["content-length", "transfer-encoding", "content-encoding"])
}

/// One upstream request's answer as it arrives: the head, then pieces of body, then the end (nil).
final class UpstreamStream: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    // @unchecked: URLSession calls the delegate on its own serial queue; the continuation is Sendable.
    enum Piece: Sendable {
        case head(HTTPURLResponse)
        case data([UInt8])
    }

    private var iterator: AsyncThrowingStream<Piece, any Error>.AsyncIterator
    private let continuation: AsyncThrowingStream<Piece, any Error>.Continuation
    private var session: URLSession?
    private var task: URLSessionDataTask?

    init(_ request: URLRequest) {
        let (stream, continuation) = AsyncThrowingStream<Piece, any Error>.makeStream()
        self.iterator = stream.makeAsyncIterator()
        self.continuation = continuation
        super.init()
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 600
        configuration.urlCache = nil
        let session = URLSession(configuration: configuration, delegate: self, delegateQueue: nil)
        let task = session.dataTask(with: request)
        self.session = session
        self.task = task
        task.resume()
    }

    func next() async throws -> Piece? { try await iterator.next() }

    func cancel() {
        task?.cancel()
        session?.invalidateAndCancel()
        session = nil
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        if let response = response as? HTTPURLResponse { continuation.yield(.head(response)) }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        continuation.yield(.data([UInt8](data)))
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        if let error { continuation.finish(throwing: error) } else { continuation.finish() }
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String { hasSuffix(suffix) ? String(dropLast(suffix.count)) : self }
}
