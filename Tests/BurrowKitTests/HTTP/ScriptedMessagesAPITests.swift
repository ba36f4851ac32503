@testable import BurrowKit
@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman
import Foundation
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// The stand-in Messages API itself: the SSE shape the real CLI parses, the other request kinds, and
/// the same answer to the same request.
final class ScriptedMessagesAPITests: XCTestCase {
    static let tools = #""tools":[{"name":"Bash","input_schema":{"type":"object"}}]"#

    func post(_ api: ScriptedMessagesAPI, _ target: String, _ body: String) async throws -> ClientResponse {
        let client = HTTPClient(address: .ipv4("127.0.0.1", port: api.port))
        return try await client.send(ClientRequest("POST", target, body: .bytes(Array(body.utf8), contentType: "application/json")))
    }

    func testStreamsTheMessageEventsAndDecidesFromTheToolIDsInTheRequest() async throws {
        let api = try ScriptedMessagesAPI(script: ScriptedMessagesAPI.steps([[.text("Running."), .toolUse(id: "toolu_1", name: "Bash", input: #"{"command":"ls"}"#)]],
                                                                           final: { _ in "done" }))
        let first = #"{"model":"m","stream":true,\#(Self.tools),"messages":[{"role":"user","content":"go"}]}"#
        let response = try await post(api, "/v1/messages?beta=true", first)
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.headers["content-type"], "text/event-stream")
        let text = String(decoding: response.body, as: UTF8.self)
        let names = text.split(separator: "\n").filter { $0.hasPrefix("event: ") }.map { String($0.dropFirst(7)) }
        // "Running." has no space to cut at: one text delta; the tool's input comes in two.
        XCTAssertEqual(names, ["message_start", "content_block_start", "content_block_delta", "content_block_stop",
                               "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
                               "message_delta", "message_stop"])
        XCTAssertTrue(text.contains(#""delta":{"type":"text_delta","text":"Run"#) && text.contains(#""type":"input_json_delta","partial_json":"#), text)
        XCTAssertTrue(text.contains(#""stop_reason":"tool_use""#) && text.contains(#""usage":{"output_tokens":50}"#), text)
        // The same request again (a CLI retry): the same step.
        let again = String(decoding: try await post(api, "/v1/messages?beta=true", first).body, as: UTF8.self)
        XCTAssertTrue(again.contains(#""id":"toolu_1""#))
        // With the tool's result in the request: the final text, end_turn.
        let next = #"{"model":"m","stream":true,\#(Self.tools),"messages":[{"role":"user","content":"go"},{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"Bash","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"ok"}]}]}"#
        let last = String(decoding: try await post(api, "/v1/messages?beta=true", next).body, as: UTF8.self)
        XCTAssertTrue(last.contains(#""text":"do"#) && last.contains(#""stop_reason":"end_turn""#), last)
        XCTAssertEqual(api.agentRequests.last?.conversation?.toolResults, ["toolu_1": "ok"])
        await api.stop()
    }

    func testAnswersCountTokensNonStreamedRequestsAndScriptedErrors() async throws {
        let api = try ScriptedMessagesAPI(script: { _ in .error(status: 529, type: "overloaded_error", message: "Overloaded") })
        let count = try await post(api, "/v1/messages/count_tokens?beta=true", #"{"model":"m","messages":[]}"#)
        XCTAssertEqual(count.status, 200)
        XCTAssertEqual(String(decoding: count.body, as: UTF8.self), #"{"input_tokens":1000}"#)
        let whole = try await post(api, "/v1/messages", #"{"model":"haiku","messages":[{"role":"user","content":"title?"}]}"#)
        let message = try JSONDecoder().decode(JSONValue.self, from: Data(whole.body))
        XCTAssertEqual(message["type"], .string("message"))
        XCTAssertEqual(message["model"], .string("haiku"))
        let refused = try await post(api, "/v1/messages", #"{"model":"m","stream":true,\#(Self.tools),"messages":[{"role":"user","content":"go"}]}"#)
        XCTAssertEqual(refused.status, 529)
        XCTAssertTrue(String(decoding: refused.body, as: UTF8.self).contains(#""type":"overloaded_error""#))
        await api.stop()
    }
}
