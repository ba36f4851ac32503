@testable import BurrowKit
@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman
import Foundation
import Synchronization
@testable import BurrowWeb
@testable import BurrowCommands

/// A scripted stand-in of the Anthropic Messages API for the real Claude Code, on Burrow's own
/// HTTPServer in the test process: tests read what it was sent directly (no second process to start,
/// watch and clean up), and it times its own work so a benchmark can subtract it.
/// The next step is decided from the request alone (the tool_use ids it already contains), so a
/// request the CLI sends twice gets the same answer.
final class ScriptedMessagesAPI: Sendable {
    enum Block: Sendable {
        case text(String)
        case toolUse(id: String, name: String, input: String)
    }

    enum Reply: Sendable {
        case blocks([Block])
        case error(status: Int, type: String, message: String)
    }

    /// What a request says so far.
    struct Conversation: Sendable {
        let toolUseIDs: Set<String>
        /// tool_use id → the tool_result's text.
        let toolResults: [String: String]
        /// Every user text block, oldest first (prompts, and Claude Code's system reminders).
        let userTexts: [String]
        let body: String

        func lastPrompt(containing marker: String) -> Bool { userTexts.last(where: { !$0.hasPrefix("<system-reminder>") })?.contains(marker) ?? false }
    }

    typealias Script = @Sendable (Conversation) -> Reply

    struct Seen: Sendable {
        let method: String
        let target: String
        let headers: HTTPHeaders
        let body: String
        let streamed: Bool
        let conversation: Conversation?
        /// The stand-in's own time for this request, from the parsed request to its last byte written.
        let seconds: Double
    }

    let server: HTTPServer
    let port: UInt16

    /// `script` answers the agent loop's requests (those offering tools); anything else gets a short text.
    /// `deltaPause`: a wait before each text delta of a streamed answer (the model writing slowly).
    init(deltaPause: Duration = .zero, script: @escaping Script) throws {
        let listener = try AsyncSocket.listening(on: .ipv4("127.0.0.1", port: 0))
        port = listener.localAddress!.port!
        let box = LogBox()
        logBox = box
        server = HTTPServer(listener: listener, bodyLimit: { _, _ in 32 << 20 }) { request in
            await Self.answer(request, script: script, log: box, deltaPause: deltaPause)
        }
        let server = self.server
        Task { await server.run() }
    }

    private let logBox: LogBox
    final class LogBox: Sendable {
        let seen = Mutex<[Seen]>([])
    }

    var requests: [Seen] { logBox.seen.withLock { $0 } }
    var agentRequests: [Seen] { requests.filter { $0.conversation != nil } }
    var ownSeconds: Double { requests.reduce(0) { $0 + $1.seconds } }
    var upstream: String { "http://127.0.0.1:\(port)" }

    func stop() async { await server.shutdown(grace: .seconds(1)) }

    // MARK: Answering

    static func answer(_ request: HTTPRequest, script: Script, log: LogBox, deltaPause: Duration = .zero) async -> HTTPResponse {
        let started = ContinuousClock.now
        let body = String(decoding: request.body, as: UTF8.self)
        let json = try? JSONDecoder().decode(JSONValue.self, from: Data(request.body))
        let streamed = json?["stream"] == .bool(true)
        @Sendable func record(_ conversation: Conversation?) {
            let elapsed = (ContinuousClock.now - started).components
            let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
            log.seen.withLock { $0.append(Seen(method: request.method.rawValue, target: request.target, headers: request.headers, body: body,
                                               streamed: streamed, conversation: conversation, seconds: seconds)) }
        }
        if request.path.hasSuffix("/count_tokens") {
            record(nil)
            return .bytes(Array(#"{"input_tokens":1000}"#.utf8), contentType: "application/json")
        }
        guard request.method == "POST", request.path == "/v1/messages", let json else {
            record(nil)
            return .bytes(Array(#"{"type":"error","error":{"type":"not_found_error","message":"not here"}}"#.utf8), contentType: "application/json", status: .notFound)
        }
        let model = json["model"].flatMap { if case .string(let name) = $0 { name } else { nil } } ?? "claude-stand-in"
        var conversation: Conversation?
        let reply: Reply
        if case .array(let tools)? = json["tools"], !tools.isEmpty {
            let parsed = Self.conversation(json, body: body)
            conversation = parsed
            reply = script(parsed)
        } else {
            reply = .blocks([.text("ok")])
        }
        switch reply {
        case .error(let status, let type, let message):
            record(conversation)
            let text = #"{"type":"error","error":{"type":"\#(type)","message":"\#(message)"}}"#
            var headers = HTTPHeaders()
            headers.add("Content-Type", "application/json")
            headers.add("request-id", "req_standin_\(status)")
            return HTTPResponse(status: HTTPStatus(status, type), headers: headers, body: .bytes(Array(text.utf8)))
        case .blocks(let blocks):
            if !streamed {
                record(conversation)
                return .bytes(Array(MessageEvents.whole(blocks, model: model).utf8), contentType: "application/json")
            }
            let events = MessageEvents.stream(blocks, model: model)
            var headers = HTTPHeaders()
            headers.add("Content-Type", "text/event-stream")
            headers.add("Cache-Control", "no-cache")
            headers.add("request-id", "req_standin")
            let captured = conversation
            return HTTPResponse(headers: headers, body: .stream { writer in
                for event in events {
                    if deltaPause > .zero, event.contains(#""type":"text_delta""#) { try await Task.sleep(for: deltaPause) }
                    try await writer.write(Array(event.utf8))
                }
                record(captured)
            })
        }
    }

    static func conversation(_ json: JSONValue, body: String) -> Conversation {
        var ids = Set<String>(), results: [String: String] = [:], texts: [String] = []
        guard case .array(let messages)? = json["messages"] else { return Conversation(toolUseIDs: [], toolResults: [:], userTexts: [], body: body) }
        for message in messages {
            let role = message["role"].flatMap { if case .string(let role) = $0 { role } else { nil } }
            switch message["content"] {
            case .string(let text)?: if role == "user" { texts.append(text) }
            case .array(let blocks)?:
                for block in blocks {
                    switch block["type"] {
                    case .string("tool_use")?: if case .string(let id)? = block["id"] { ids.insert(id) }
                    case .string("tool_result")?:
                        if case .string(let id)? = block["tool_use_id"] { results[id] = Self.text(of: block["content"]) }
                    case .string("text")?: if role == "user", case .string(let text)? = block["text"] { texts.append(text) }
                    default: break
                    }
                }
            default: break
            }
        }
        return Conversation(toolUseIDs: ids, toolResults: results, userTexts: texts, body: body)
    }

    static func text(of content: JSONValue?) -> String {
        switch content {
        case .string(let text)?: return text
        case .array(let parts)?: return parts.map { if case .string(let text)? = $0["text"] { text } else { "" } }.joined(separator: "\n")
        default: return ""
        }
    }

    /// The usual script: each step is one assistant message; the first whose tool_use ids the request
    /// does not hold yet is next; when all are done, `final` ends the turn.
    static func steps(_ steps: [[Block]], final: @escaping @Sendable (Conversation) -> String) -> Script {
        return { conversation in
            for step in steps {
                let ids = step.compactMap { if case .toolUse(let id, _, _) = $0 { id } else { nil } }
                if !ids.isEmpty, !ids.contains(where: conversation.toolUseIDs.contains) { return .blocks(step) }
            }
            return .blocks([.text(final(conversation))])
        }
    }
}

extension JSONValue {
    subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }
}
