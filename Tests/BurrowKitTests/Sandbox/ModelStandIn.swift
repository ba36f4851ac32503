@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import Foundation
import Synchronization
@testable import BurrowWeb
@testable import BurrowCommands

/// A stand-in for the Anthropic API on the host loopback: records every request it gets (method,
/// target, headers) and answers as `answer` says; by default a streamed message with usage.
final class ModelStandIn: Sendable {
    struct Seen: Sendable {
        let method: String
        let target: String
        let headers: HTTPHeaders
    }

    let server: HTTPServer
    let port: UInt16
    final class SeenLog: Sendable {
        let list = Mutex<[Seen]>([])
    }

    private let seen = SeenLog()
    var requests: [Seen] { seen.list.withLock { $0 } }
    var url: String { "http://127.0.0.1:\(port)" }

    init(maxBodyBytes: Int = 1 << 20, answer: @escaping @Sendable (HTTPRequest) -> HTTPResponse = ModelStandIn.standard) throws {
        let listener = try AsyncSocket.listening(on: .ipv4("127.0.0.1", port: 0))
        port = listener.localAddress!.port!
        let seen = self.seen
        var limits = HTTPLimits()
        limits.maxBodyBytes = maxBodyBytes
        server = HTTPServer(listener: listener, limits: limits) { request in
            seen.list.withLock { $0.append(Seen(method: request.method.rawValue, target: request.target, headers: request.headers)) }
            return answer(request)
        }
        let server = self.server
        Task { await server.run() }
    }

    /// Messages stream; model listing and token counting answer JSON, as the API does.
    static func standard(_ request: HTTPRequest) -> HTTPResponse {
        if request.path.hasPrefix("/v1/models") { return .bytes(Array(#"{"data":[],"has_more":false}"#.utf8), contentType: "application/json") }
        if request.path.hasSuffix("/count_tokens") { return .bytes(Array(#"{"input_tokens":10}"#.utf8), contentType: "application/json") }
        return streamed(model: "claude-opus-5-5", usage: (100, 20, 30, 40), finalOutput: 7)
    }

    func stop() async { await server.shutdown(grace: .milliseconds(100)) }

    /// An SSE message as the Messages API streams it: `message_start` with usage (input, cache
    /// creation, cache read, output), some text, then `message_delta` with the final output count.
    static func streamed(model: String, usage: (Int, Int, Int, Int), finalOutput: Int, text: String = "done") -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.add("Content-Type", "text/event-stream")
        let events = [
            ("message_start", #"{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"\#(model)","content":[],"usage":{"input_tokens":\#(usage.0),"cache_creation_input_tokens":\#(usage.1),"cache_read_input_tokens":\#(usage.2),"output_tokens":\#(usage.3)}}}"#),
            ("content_block_start", #"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#),
            ("content_block_delta", #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"\#(text)"}}"#),
            ("content_block_stop", #"{"type":"content_block_stop","index":0}"#),
            ("message_delta", #"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":\#(finalOutput)}}"#),
            ("message_stop", #"{"type":"message_stop"}"#),
        ]
        return HTTPResponse(headers: headers, body: .stream { writer in
            for (name, data) in events { try await writer.write(Array("event: \(name)\ndata: \(data)\n\n".utf8)) }
        })
    }
}

/// Talks HTTP to a proxy's Unix socket directly, as a burrow's connection would after handover.
enum ProxyClient {
    struct Answer {
        let status: Int
        let headers: HTTPHeaders
        let text: String
    }

    static func exchange(_ socketPath: String, _ request: String) async throws -> Answer {
        let connection = HTTPConnection(try await AsyncSocket.connect(to: .unix(socketPath)))
        defer { connection.close() }
        try await connection.write(Array(request.utf8))
        guard let head = try await connection.readHead(StatusHead.self, limits: HTTPLimits()) else { throw SocketClosed() }
        let status = head.status
        let framing = try HeadParser.responseFraming(head.headers, status: status, requestMethod: "POST").get()
        let body = try await connection.readBody(framing, limit: 16 << 20)
        return Answer(status: status, headers: head.headers, text: String(decoding: body, as: UTF8.self))
    }

    static func post(_ path: String, body: String = #"{"model":"claude-opus-5-5","stream":true}"#, method: String = "POST", extra: String = "") -> String {
        "\(method) \(path) HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\(extra)Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
    }
}

/// Net events a proxy reported.
final class NetLog: Sendable {
    private let events = Mutex<[NetEvent]>([])
    var all: [NetEvent] { events.withLock { $0 } }
    var report: EgressProxy.Report { { event in self.events.withLock { $0.append(event) } } }

    /// The events once there are `count` of them (a report follows the answer's last byte).
    func waitFor(_ count: Int) async throws -> [NetEvent] {
        for _ in 0..<500 where all.count < count { try await Task.sleep(for: .milliseconds(10)) }
        return all
    }
}
