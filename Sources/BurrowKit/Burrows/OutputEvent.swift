import FoundationEssentials
import BurrowSystem
import BurrowPodman

/// How one line of container output is written to the event log: a stdout line that is a Claude Code
/// `stream-json` event is an `agent` event kept verbatim; any other line is a `log` event naming its
/// stream. One function makes both the live events and the ones compared when reconciling, so the
/// same line always becomes the same bytes.
struct OutputEvent: Equatable {
    let kind: EventKind
    let data: String
    let stream: OutputStream

    /// `textBase64`: the line's exact bytes, only when they are not valid UTF-8 (`text` then has
    /// U+FFFD in their place), so every byte the container printed is kept.
    struct LogLine: Codable {
        let stream: String
        let text: String
        // Sorts after "stream": stored lines are told apart by their prefix `{"stream":"stderr"`.
        var textBase64: String? = nil
    }

    init(_ line: LineAssembler.Line, summary: AgentOutput.Summary?) {
        stream = line.stream
        if summary != nil {
            kind = .agent
            data = String(decoding: line.bytes, as: UTF8.self)
        } else {
            kind = .log
            let valid = String(validating: line.bytes, as: UTF8.self)
            data = BurrowManager.json(LogLine(stream: line.stream.rawValue, text: valid ?? String(decoding: line.bytes, as: UTF8.self),
                                              textBase64: valid == nil ? Data(line.bytes).base64EncodedString() : nil))
        }
    }

    private static let agentKind = Array(EventKind.agent.rawValue.utf8), logKind = Array(EventKind.log.rawValue.utf8)
    private static let stderrPrefix = Array(#"{"stream":"stderr""#.utf8), stdoutPrefix = Array(#"{"stream":"stdout""#.utf8)

    /// Which container output a stored line is, or nil when it is not one. Burrow's own lines in the
    /// log (streams "setup", "burrow") are not the container's: taken for its output, one would stop
    /// the walk and every later line would be added a second time.
    static func outputKind(_ stored: BurrowEvents.StoredBytes) -> (kind: EventKind, stream: OutputStream)? {
        if stored.kind.elementsEqual(agentKind) { return (.agent, .stdout) }
        guard stored.kind.elementsEqual(logKind) else { return nil }
        if stored.data.starts(with: stderrPrefix) { return (.log, .stderr) }
        if stored.data.starts(with: stdoutPrefix) { return (.log, .stdout) }
        return nil
    }
}
