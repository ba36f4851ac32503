import BurrowSystem
import BurrowHTTP
import BurrowPodman
/// Where events start in `events.ndjson`: one (sequence, byte offset) every `stride` events, so a
/// reconnect reads from near its `Last-Event-ID` instead of from the start. 200,000 events cost
/// about 800 entries.
struct EventOffsetIndex: Sendable {
    static let stride = 256
    private(set) var entries: [(sequence: Int, offset: Int)] = []

    /// Called for every line in file order; keeps one line in `stride`.
    mutating func note(sequence: Int, offset: Int) {
        if let last = entries.last, sequence < last.sequence + Self.stride { return }
        entries.append((sequence, offset))
    }

    /// An offset at or before the line of `sequence` (0 when none is indexed that early).
    func offset(atOrBefore sequence: Int) -> Int {
        var low = 0
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].sequence <= sequence { low = middle + 1 } else { high = middle }
        }
        return low == 0 ? 0 : entries[low - 1].offset
    }
}

/// A subscription to a burrow's events: what the log already holds after `Last-Event-ID` (read from
/// the file by the response writer, off the actor, with the socket's pace), then the live channel.
public struct EventSubscription: Sendable {
    public let replay: EventReplay?
    public let channel: EventChannel
}

/// The events after `after` in the byte range `[start, end)` of a log, as SSE frames.
public struct EventReplay: Sendable {
    public let path: String
    public let start: Int
    public let end: Int
    public let after: Int

    /// Hands the frames to `send` in batches of about `batchBytes`; returns the bytes read from the file.
    @discardableResult
    public func frames(batchBytes: Int = 256 * 1024, _ send: ([UInt8]) async throws -> Void) async throws -> Int {
        let reader = try FileLineReader(path: path, from: start, to: end, pieceSize: 64 * 1024)
        var batch: [UInt8] = []
        while let line = try reader.next() {
            guard let stored = BurrowEvents.parse(line), stored.sequence > after else { continue }
            batch += ServerSentEvent(id: String(stored.sequence), event: stored.kind, data: String(stored.data)).encoded
            if batch.count >= batchBytes {
                try await send(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        if !batch.isEmpty { try await send(batch) }
        return reader.bytesRead
    }
}
