import FoundationEssentials
import BurrowSystem
import BurrowHTTP
import BurrowKit

/// One event of a burrow's log as `burrow logs` prints it: for a terminal, the agent's words, tools
/// and result as plain lines (every string made safe by `TerminalText`); with `--json`, one line
/// `{"seq","kind","data"}` per event, the data re-encoded so the line is always one valid JSON value.
struct EventRenderer {
    let json: Bool
    private var lastState: String?

    init(json: Bool) { self.json = json }

    mutating func render(sequence: Int?, kind: String, data: String) -> String? {
        if json { return Self.jsonLine(sequence: sequence, kind: kind, data: data) }
        let bytes = Data(data.utf8)
        switch kind {
        case "log":
            guard let log = try? JSONCoding.decoder.decode(LogLine.self, from: bytes) else { return nil }
            var text = log.text
            if text.hasSuffix("\n") { text.removeLast() }
            return TerminalText.safe(text, keepLines: true)
        case "agent":
            guard let line = try? JSONCoding.decoder.decode(AgentLine.self, from: bytes) else { return nil }
            return Self.describe(line)
        case "turn":
            guard let turn = try? JSONCoding.decoder.decode(TurnLine.self, from: bytes) else { return nil }
            return "── turn \(turn.turn ?? 0): " + TerminalText.oneLine(turn.text ?? "", width: 200)
        case "shell":
            guard let note = try? JSONCoding.decoder.decode([String: String].self, from: bytes) else { return nil }
            let what = note["action"] == "opened" ? "opened (\(note["mode"] ?? "shell"), in the \(note["in"] ?? "container"))" : "closed (exit \(note["exitCode"] ?? "unknown"))"
            return TerminalText.oneLine("[shell] a person's session " + what, width: 200)
        case "state", "end":
            guard let record = try? JSONCoding.decoder.decode(BurrowRecord.self, from: bytes) else { return nil }
            let state = record.state.rawValue
            if kind == "state" && state == lastState { return nil }
            lastState = state
            let reason = (record.stopReason ?? record.agentError ?? record.error).map { ": " + TerminalText.oneLine($0, width: 300) } ?? ""
            return "[\(kind == "end" ? "end" : "state")] \(state)\(reason)"
        default:
            return nil
        }
    }

    static func describe(_ line: AgentLine) -> String? {
        switch line.type {
        case "system" where line.subtype == "init":
            return "[agent] session started" + (line.model.map { " (model \(TerminalText.safe($0)))" } ?? "")
        case "assistant":
            let parts = (line.message?.content ?? []).compactMap { block -> String? in
                switch block.type {
                case "text": return block.text.map { TerminalText.safe($0, keepLines: true) }
                case "tool_use":
                    let what = block.input?.command ?? block.input?.description ?? block.input?.file_path ?? ""
                    return "→ \(TerminalText.safe(block.name ?? "tool")): \(TerminalText.oneLine(what, width: 300))"
                default: return nil
                }
            }
            return parts.isEmpty ? nil : parts.joined(separator: "\n")
        case "result":
            let outcome = line.is_error == true ? "error" : (line.subtype ?? "done")
            return "[result] \(TerminalText.safe(outcome))" + (line.result.map { ": " + TerminalText.safe($0, keepLines: true) } ?? "")
        default:
            return nil
        }
    }

    static func jsonLine(sequence: Int?, kind: String, data: String) -> String? {
        struct Line: Encodable { let seq: Int?; let kind: String; let data: JSONValue }
        let value = (try? JSONCoding.decoder.decode(JSONValue.self, from: Data(data.utf8))) ?? .string(data)
        guard let encoded = try? JSONCoding.encoder.encode(Line(seq: sequence, kind: kind, data: value)) else { return nil }
        return String(decoding: encoded, as: UTF8.self)
    }

    struct LogLine: Decodable { let stream: String?; let text: String }
    struct TurnLine: Decodable { let turn: Int?; let text: String? }
    // The names are Claude Code's stream-json keys.
    struct AgentLine: Decodable {
        let type: String?
        let subtype: String?
        let model: String?
        let message: Message?
        let result: String?
        let is_error: Bool?
    }
    struct Message: Decodable {
        let content: [Block]?
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Keys.self)
            content = try? container.decode([Block].self, forKey: .content)
        }
        enum Keys: String, CodingKey { case content }
    }
    struct Block: Decodable {
        let type: String?
        let text: String?
        let name: String?
        let input: ToolInput?
    }
    /// Each field alone: a tool input of another shape loses only what does not fit.
    struct ToolInput: Decodable {
        let command: String?
        let description: String?
        let file_path: String?
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Keys.self)
            command = try? container.decode(String.self, forKey: .command)
            description = try? container.decode(String.self, forKey: .description)
            file_path = try? container.decode(String.self, forKey: .file_path)
        }
        enum Keys: String, CodingKey { case command, description, file_path }
    }
}
