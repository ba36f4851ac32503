import BurrowSystem

/// One server-sent event (WHATWG HTML §9.2), encoded once and shared by every client that gets it.
public struct ServerSentEvent: Sendable, Equatable {
    public var id: String?
    public var event: String?
    public var data: String
    public var retryMilliseconds: Int?

    public init(id: String? = nil, event: String? = nil, data: String, retryMilliseconds: Int? = nil) {
        self.id = id
        self.event = event
        self.data = data
        self.retryMilliseconds = retryMilliseconds
    }

    /// The wire form. Multi-line data becomes several `data:` lines; CR and CR LF count as line ends,
    /// and id/event lose any line break so a value can never start a field of its own.
    public var encoded: [UInt8] {
        // Byte-level on purpose: replaying 50,000 events must not walk grapheme clusters.
        var output: [UInt8] = []
        output.reserveCapacity(data.utf8.count + 48)
        if let id { output += Array("id: \(Self.singleLine(id))\n".utf8) }
        if let event { output += Array("event: \(Self.singleLine(event))\n".utf8) }
        if let retryMilliseconds { output += Array("retry: \(retryMilliseconds)\n".utf8) }
        let prefix = Array("data: ".utf8)
        output += prefix
        var text = data
        text.withUTF8 { bytes in
            var runStart = 0
            for index in bytes.indices where bytes[index] == 0x0A || bytes[index] == 0x0D {
                output.append(contentsOf: bytes[runStart..<index])
                runStart = index + 1
                // CR LF is one line end (the CR ended the line); a lone CR or LF is one too.
                if bytes[index] == 0x0A && index > 0 && bytes[index - 1] == 0x0D { continue }
                output.append(0x0A)
                output += prefix
            }
            output.append(contentsOf: bytes[runStart...])
        }
        output += [0x0A, 0x0A]
        return output
    }

    public static func comment(_ text: String) -> [UInt8] {
        Array(": \(singleLine(text))\n\n".utf8)
    }

    static func singleLine(_ text: String) -> String {
        // Nearly always a sequence number or an event kind: nothing to take out, no copy (two per event).
        guard text.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D || $0 == 0 }) else { return text }
        return String(text.unicodeScalars.filter { $0 != "\n" && $0 != "\r" && $0 != "\0" }.map(Character.init))
    }
}
