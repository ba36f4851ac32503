/// Reads a `text/event-stream` body (WHATWG HTML §9.2.6) piece by piece as it arrives: lines end in
/// LF, CR or CR LF, `:` starts a comment, one space after the colon is dropped, a blank line ends the
/// event. What it holds is bounded: a line or an event's data past `limit` bytes is an error, not growth.
public struct ServerSentEventParser: Sendable {
    public struct TooLarge: Error, CustomStringConvertible, Equatable, Sendable {
        public let limit: Int
        public var description: String { "an event of the stream is over \(limit) bytes" }
    }

    private let limit: Int
    private var line: [UInt8] = []
    private var lastWasCR = false
    private var data: [UInt8] = []
    private var hasData = false
    private var id: String?
    private var event: String?

    public init(limit: Int = 16 << 20) { self.limit = limit }

    /// The events completed by `bytes`, in order.
    public mutating func feed(_ bytes: [UInt8]) throws(TooLarge) -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        for byte in bytes {
            if byte == 0x0A && lastWasCR {
                lastWasCR = false
                continue
            }
            lastWasCR = byte == 0x0D
            if byte == 0x0A || byte == 0x0D {
                if let event = try endLine() { events.append(event) }
                continue
            }
            line.append(byte)
            if line.count > limit { throw TooLarge(limit: limit) }
        }
        return events
    }

    private mutating func endLine() throws(TooLarge) -> ServerSentEvent? {
        defer { line.removeAll(keepingCapacity: true) }
        guard !line.isEmpty else { return dispatch() }
        if line[0] == UInt8(ascii: ":") { return nil }
        let colon = line.firstIndex(of: UInt8(ascii: ":")) ?? line.endIndex
        let field = String(decoding: line[..<colon], as: UTF8.self)
        var valueStart = colon < line.endIndex ? colon + 1 : colon
        if valueStart < line.endIndex && line[valueStart] == 0x20 { valueStart += 1 }
        let value = line[valueStart...]
        switch field {
        case "data":
            if hasData { data.append(0x0A) }
            data += value
            hasData = true
            if data.count > limit { throw TooLarge(limit: limit) }
        case "id" where !value.contains(0): id = String(decoding: value, as: UTF8.self)
        case "event": event = String(decoding: value, as: UTF8.self)
        default: break
        }
        return nil
    }

    /// A blank line: the event so far, if it had data (an event without data is not dispatched).
    private mutating func dispatch() -> ServerSentEvent? {
        defer {
            data.removeAll(keepingCapacity: true)
            hasData = false
            event = nil
        }
        guard hasData else { return nil }
        return ServerSentEvent(id: id, event: event, data: String(decoding: data, as: UTF8.self))
    }
}
