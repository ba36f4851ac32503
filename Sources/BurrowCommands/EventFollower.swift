import BurrowSystem
import BurrowHTTP
import BurrowKit

/// Reads a burrow's events from the server: the stored log (`/history`, NDJSON) or the live stream
/// (`/events`, server-sent events, replayed from `after`), handing each to `handle` as it arrives.
/// Streamed piece by piece, never held whole; a line or event past 16 MiB ends it with an error.
struct EventFollower {
    let api: BurrowAPIClient
    let id: String
    static let maxEvent = 16 << 20

    /// The live stream until the server ends it (after the turn's `end`). Returns the last sequence seen.
    func follow(after: Int?, _ handle: (Int?, String, String) -> Void) async throws(ClientError) -> Int? {
        var path = "/api/burrows/\(BurrowAPIClient.pathSegment(id))/events"
        if let after { path += "?after=\(after)" }
        let stream = try await api.open(path)
        defer { stream.close() }
        var parser = ServerSentEventParser(limit: Self.maxEvent)
        var last = after
        while let piece = try await next(stream) {
            let events: [ServerSentEvent]
            do { events = try parser.feed(piece) } catch { throw .protocolError("burrow \(id): \(error)") }
            for event in events {
                let sequence = event.id.flatMap { Int($0) }
                if let sequence { last = sequence }
                handle(sequence, event.event ?? "message", event.data)
            }
        }
        return last
    }

    /// The stored log as it is now.
    func history(_ handle: (Int?, String, String) -> Void) async throws(ClientError) {
        let stream = try await api.open("/api/burrows/\(BurrowAPIClient.pathSegment(id))/history")
        defer { stream.close() }
        var pending: [UInt8] = []
        while let piece = try await next(stream) {
            pending += piece
            var start = 0
            while let newline = pending[start...].firstIndex(of: 0x0A) {
                if let line = Self.parseLine(pending[start..<newline]) { handle(line.sequence, line.kind, line.data) }
                start = newline + 1
            }
            pending.removeSubrange(0..<start)
            if pending.count > Self.maxEvent { throw .protocolError("burrow \(id): a line of its history is over \(Self.maxEvent) bytes") }
        }
        if let line = Self.parseLine(pending[...]) { handle(line.sequence, line.kind, line.data) }
    }

    private func next(_ stream: ResponseStream) async throws(ClientError) -> [UInt8]? {
        do { return try await stream.next() } catch {
            throw .notReachable("the server stopped answering while sending burrow \(id)'s events (\(error)); is `burrow serve` still running?")
        }
    }

    /// `{"seq":N,"kind":"K","data":<JSON>}`, the event log's own line form.
    static func parseLine(_ line: ArraySlice<UInt8>) -> (sequence: Int, kind: String, data: String)? {
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("{\"seq\":"), text.hasSuffix("}"),
              let kindStart = text.firstRange(of: ",\"kind\":\""), let dataStart = text.firstRange(of: "\",\"data\":") else { return nil }
        guard let sequence = Int(text[text.index(text.startIndex, offsetBy: 7)..<kindStart.lowerBound]),
              kindStart.upperBound <= dataStart.lowerBound else { return nil }
        let kind = String(text[kindStart.upperBound..<dataStart.lowerBound])
        let data = String(text[dataStart.upperBound..<text.index(before: text.endIndex)])
        return (sequence, kind, data)
    }
}
