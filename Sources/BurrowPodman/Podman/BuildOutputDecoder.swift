import FoundationEssentials
import BurrowSystem
import BurrowHTTP

/// Podman's image build stream: one JSON object per line, `{"stream": text}` for the build's output
/// (a piece may hold several lines or part of one), `{"error", "errorDetail"}` when a step fails,
/// and — libpod only — a last `{"stream": "<64-hex image id>\n"}` (Podman 5 may add `{"aux": {"ID"}}`).
/// Pure: bytes in, events out, with a bound on how long a line may grow.
struct BuildOutputDecoder {
    enum Event: Equatable {
        case line(String)
        case error(String)
        case imageID(String)
    }

    struct Malformed: Error, CustomStringConvertible {
        let reason: String
        var description: String { reason }
    }

    private struct Record: Decodable {
        struct Aux: Decodable { let ID: String? }
        let stream: String?
        let error: String?
        let aux: Aux?
    }

    let maxLine: Int
    private var pending: [UInt8] = []
    /// Output text not yet ended by a newline (RUN steps print partial lines).
    private var partialText = ""

    init(maxLine: Int = 1 << 20) { self.maxLine = maxLine }

    mutating func decode(_ bytes: [UInt8]) throws -> [Event] {
        pending += bytes
        var events: [Event] = []
        while let newline = pending.firstIndex(of: 0x0A) {
            let line = Array(pending[..<newline])
            pending.removeSubrange(...newline)
            events += try record(line)
        }
        if pending.count > maxLine { throw Malformed(reason: "a build output record longer than \(maxLine) bytes") }
        return events
    }

    /// What is left when the stream ends: a last record without its newline, a last partial line.
    mutating func finish() throws -> [Event] {
        var events = try record(pending)
        pending = []
        if !partialText.isEmpty { events.append(.line(partialText)) }
        partialText = ""
        return events
    }

    private mutating func record(_ line: [UInt8]) throws -> [Event] {
        guard line.contains(where: { $0 != 0x20 && $0 != 0x0D }) else { return [] }
        let record: Record
        do {
            record = try JSONCoding.decoder.decode(Record.self, from: Data(line))
        } catch {
            throw Malformed(reason: "a build output record is not JSON: \(String(decoding: line.prefix(200), as: UTF8.self))")
        }
        var events: [Event] = []
        if let text = record.stream {
            let trimmed = text.filter { !$0.isWhitespace }
            if partialText.isEmpty, trimmed.utf8.count == 64, trimmed.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) {
                events.append(.imageID(trimmed))
            } else {
                partialText += text
                var lines = partialText.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                partialText = lines.removeLast()
                if partialText.utf8.count > maxLine {
                    lines.append(partialText)
                    partialText = ""
                }
                events += lines.map(Event.line)
            }
        }
        if let id = record.aux?.ID {
            events.append(.imageID(id.hasPrefix("sha256:") ? String(id.dropFirst(7)) : id))
        }
        if let error = record.error {
            events.append(.error(error.split(whereSeparator: \.isNewline).joined(separator: " / ")))
        }
        return events
    }
}
