/// How one line of container output is written to the event log: a stdout line that is a Claude Code
/// `stream-json` event is an `agent` event kept verbatim; any other line is a `log` event naming its
/// stream. One function makes both the live events and the ones compared when reconciling, so the
/// same line always becomes the same bytes.
struct OutputEvent: Equatable {
    let kind: String
    let data: String
    let stream: OutputStream

    struct LogLine: Codable { let stream: String; let text: String }

    init(_ line: LineAssembler.Line, summary: AgentOutput.Summary?) {
        stream = line.stream
        if summary != nil {
            kind = "agent"
            data = String(decoding: line.bytes, as: UTF8.self)
        } else {
            kind = "log"
            data = BurrowManager.json(LogLine(stream: line.stream.rawValue, text: String(decoding: line.bytes, as: UTF8.self)))
        }
    }

    init?(stored: BurrowEvents.StoredLine) {
        switch stored.kind {
        case "agent": stream = .stdout
        case "log": stream = stored.data.hasPrefix("{\"stream\":\"stderr\"") ? .stderr : .stdout
        default: return nil
        }
        kind = stored.kind
        data = String(stored.data)
    }
}
