/// The head of a burrow server's answer, rewritten on its way to the browser: Burrow closes each
/// connection after one answer (`Connection: close`, so a browser never reuses one that is about to
/// end), and a cookie for a whole domain is dropped: `Domain=localhost` would reach Burrow's own page
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

    /// The rewritten head; `switching`: a `101` to an upgrade, whose connection stays open.
    static func rewrite(_ head: ArraySlice<UInt8>) -> (head: [UInt8], switching: Bool) {
        let text = String(decoding: head, as: UTF8.self)
        var lines = text.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        guard !lines.isEmpty else { return (Array(head), false) }
        let status = lines.removeFirst()
        let switching = status.split(separator: " ").dropFirst().first == "101"
        let kept = lines.filter { line in
            let name = line.prefix { $0 != ":" }.lowercased()
            if name == "set-cookie" { return !line.lowercased().contains("domain=") }
            return switching || (name != "connection" && name != "keep-alive")
        }
        let closing = switching ? [] : ["Connection: close"]
        return (Array(([status] + kept + closing).joined(separator: "\r\n").utf8) + end, switching)
    }
}
