@testable import BurrowKit
@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman
import Foundation
@testable import BurrowWeb
@testable import BurrowCommands

/// The Messages API's answer in its two shapes: the SSE events of a streamed message
/// (message_start, content_block_start/delta/stop, message_delta, message_stop) and the whole message.
enum MessageEvents {
    static func stream(_ blocks: [ScriptedMessagesAPI.Block], model: String) -> [String] {
        let id = "msg_standin_\(UInt32.random(in: 0...UInt32.max))"
        var events = [event("message_start", #"{"type":"message_start","message":{"id":"\#(id)","type":"message","role":"assistant","model":\#(quote(model)),"content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":1000,"output_tokens":1,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}}"#)]
        var stopReason = "end_turn"
        for (index, block) in blocks.enumerated() {
            switch block {
            case .text(let text):
                events.append(event("content_block_start", #"{"type":"content_block_start","index":\#(index),"content_block":{"type":"text","text":""}}"#))
                // Several deltas, as the API splits text (a word or so each).
                for piece in pieces(text) {
                    events.append(event("content_block_delta", #"{"type":"content_block_delta","index":\#(index),"delta":{"type":"text_delta","text":\#(quote(String(piece)))}}"#))
                }
            case .toolUse(let toolID, let name, let input):
                stopReason = "tool_use"
                events.append(event("content_block_start", #"{"type":"content_block_start","index":\#(index),"content_block":{"type":"tool_use","id":\#(quote(toolID)),"name":\#(quote(name)),"input":{}}}"#))
                let half = input.index(input.startIndex, offsetBy: input.count / 2)
                for piece in [input[..<half], input[half...]] {
                    events.append(event("content_block_delta", #"{"type":"content_block_delta","index":\#(index),"delta":{"type":"input_json_delta","partial_json":\#(quote(String(piece)))}}"#))
                }
            }
            events.append(event("content_block_stop", #"{"type":"content_block_stop","index":\#(index)}"#))
        }
        events.append(event("message_delta", #"{"type":"message_delta","delta":{"stop_reason":"\#(stopReason)","stop_sequence":null},"usage":{"output_tokens":50}}"#))
        events.append(event("message_stop", #"{"type":"message_stop"}"#))
        return events
    }

    static func whole(_ blocks: [ScriptedMessagesAPI.Block], model: String) -> String {
        let content = blocks.map { block -> String in
            switch block {
            case .text(let text): return #"{"type":"text","text":\#(quote(text))}"#
            case .toolUse(let id, let name, let input): return #"{"type":"tool_use","id":\#(quote(id)),"name":\#(quote(name)),"input":\#(input)}"#
            }
        }
        return #"{"id":"msg_standin","type":"message","role":"assistant","model":\#(quote(model)),"content":[\#(content.joined(separator: ","))],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":1000,"output_tokens":50}}"#
    }

    /// The text cut after every fourth space (at most 16 pieces): what arrives as one text delta each.
    static func pieces(_ text: String) -> [Substring] {
        var pieces: [Substring] = [], start = text.startIndex, spaces = 0
        for index in text.indices where text[index] == " " {
            spaces += 1
            if spaces % 4 == 0, pieces.count < 15 {
                pieces.append(text[start...index])
                start = text.index(after: index)
            }
        }
        if start < text.endIndex { pieces.append(text[start...]) }
        return pieces
    }

    static func event(_ name: String, _ data: String) -> String { "event: \(name)\ndata: \(data)\n\n" }

    static func quote(_ text: String) -> String {
        String(decoding: try! JSONEncoder().encode(text), as: UTF8.self)
    }
}
