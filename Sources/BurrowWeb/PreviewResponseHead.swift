/// The head of a burrow server's answer, rewritten on its way to the browser: an answer delimited by
/// `Content-Length` leaves the browser's connection open for its next request (checked again like
/// the first); any other says `Connection: close`, so a browser never reuses a connection that is
/// about to end. A cookie for a whole domain is dropped: `Domain=localhost` would reach Burrow's own page
/// and every other preview. Everything else passes as the server wrote it.
enum PreviewResponseHead {
    static let maxBytes = 64 << 10
    private static let end: [UInt8] = [13, 10, 13, 10]

    /// The length of the head (through its blank line) when `bytes` hold all of it.
    static func length(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4) where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return index + 4
        }
        return nil
    }

    enum Framing: Equatable {
        /// The body is exactly this many bytes (0 for HEAD, 204, 304).
        case length(Int)
        /// Chunked, or until the server closes: the browser's connection ends with the answer.
        case close
    }

    /// The rewritten head; `switching`: a `101` to an upgrade, whose connection stays open.
    static func rewrite(_ head: ArraySlice<UInt8>, isHead: Bool = false) -> (head: [UInt8], switching: Bool, framing: Framing) {
        let text = String(decoding: head, as: UTF8.self)
        var lines = text.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        guard !lines.isEmpty else { return (Array(head), false, .close) }
        let status = lines.removeFirst()
        let code = status.split(separator: " ").dropFirst().first ?? ""
        let switching = code == "101"
        var framing = Framing.close
        let lengths = lines.filter { $0.prefix { $0 != ":" }.lowercased() == "content-length" }
        let chunked = lines.contains { $0.prefix { $0 != ":" }.lowercased() == "transfer-encoding" }
        if !chunked, lengths.count == 1, let length = Int(lengths[0].drop { $0 != ":" }.dropFirst().trimmingSpaces), length >= 0 {
            framing = .length(isHead || code == "204" || code == "304" ? 0 : length)
        } else if !chunked, lengths.isEmpty, isHead || code == "204" || code == "304" {
            framing = .length(0)
        }
        let kept = lines.filter { line in
            let name = line.prefix { $0 != ":" }.lowercased()
            if name == "set-cookie" { return !line.lowercased().contains("domain=") }
            return switching || (name != "connection" && name != "keep-alive")
        }
        let closing = switching || framing != .close ? [] : ["Connection: close"]
        return (Array(([status] + kept + closing).joined(separator: "\r\n").utf8) + end, switching, framing)
    }
}
