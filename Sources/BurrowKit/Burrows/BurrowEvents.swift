import BurrowSystem
import BurrowHTTP
import BurrowPodman

/// One burrow's event log and its live subscribers. Every event is appended to `events.ndjson` with
/// its sequence number *before* any client sees it. A subscriber gets, in one actor step, the byte
/// range of the log after its `Last-Event-ID` (found through a sparse offset index) and a live
/// channel: the range is read later by its response writer, off the actor; no gap, no duplicate.
///
/// Line format: `{"seq":N,"kind":"agent|log|state|end","data":<JSON>}`.
public actor BurrowEvents {
    public nonisolated let path: String
    private let file: AppendOnlyFile
    public private(set) var lastSequence: Int
    private var subscribers: [EventChannel] = []
    public private(set) var ended: Bool
    private var index = EventOffsetIndex()
    /// Bytes in the file: where the next line starts.
    private var size: Int
    private var cap: EventLogCap

    /// Opens the log, reading it once line by line (bounded memory) to index it. `limit`: its cap in bytes.
    public init(path: String, limit: Int = .max) throws {
        self.path = path
        cap = EventLogCap(limit: limit)
        try AppendOnlyFile.repairTruncatedTail(path)
        file = try AppendOnlyFile(path: path)
        var index = EventOffsetIndex()
        var last: StoredLine?
        let reader = try FileLineReader(path: path)
        var offset = 0
        while let line = try reader.next() {
            if let stored = Self.parse(line) {
                index.note(sequence: stored.sequence, offset: offset)
                last = stored
            }
            offset = reader.offset
        }
        self.index = index
        size = offset
        lastSequence = last?.sequence ?? 0
        ended = last?.kind == EventKind.end.rawValue
    }

    struct StoredLine {
        let sequence: Int
        let kind: String
        let data: Substring
    }

    /// Appends an event; `data` must be one line of valid JSON.
    @discardableResult
    public func append(kind: EventKind, data: String) throws -> Int {
        try append([(kind, data)])
    }

    /// Appends events in one write and hands them to each subscriber at once: a flood of output
    /// costs one system call and one wake-up per batch, not per line.
    @discardableResult
    public func append(_ events: [(kind: EventKind, data: String)]) throws -> Int {
        guard !ended, !events.isEmpty else { return lastSequence }
        let events = cap.admit(events, size: size)
        guard !events.isEmpty else { return lastSequence }
        var lines: [UInt8] = []
        var frames: [UInt8] = []
        var sequence = lastSequence
        var ends = false
        var offsets = index
        for (kind, data) in events where !ends {
            sequence += 1
            offsets.note(sequence: sequence, offset: size + lines.count)
            lines += Array("{\"seq\":\(sequence),\"kind\":\"\(kind.rawValue)\",\"data\":\(data)}\n".utf8)
            frames += ServerSentEvent(id: String(sequence), event: kind.rawValue, data: data).encoded
            ends = kind == .end
        }
        do {
            try file.append(lines)
        } catch {
            size = FileSystem.status(path)?.size ?? size
            throw error
        }
        index = offsets
        size += lines.count
        lastSequence = sequence
        subscribers.removeAll { !$0.send(frames) }
        if ends {
            ended = true
            file.sync()
            for channel in subscribers { channel.finish() }
            subscribers.removeAll()
        }
        return lastSequence
    }

    public func sync() { file.sync() }

    /// Past `limit`: output is being dropped (see `EventLogCap`).
    public var isFull: Bool { cap.isFull(size: size) }

    /// A follow-up turn continues the same stream: after `end`, events may come again.
    public func reopen() { ended = false }

    /// The events after `lastSeen` still to replay from the file, and the channel for what comes next.
    public func subscribe(after lastSeen: Int, capacity: Int = 4096) -> EventSubscription {
        let channel = EventChannel(capacity: capacity)
        var replay: EventReplay?
        if lastSeen < lastSequence {
            replay = EventReplay(path: path, start: index.offset(atOrBefore: lastSeen + 1), end: size, after: lastSeen)
        }
        if ended { channel.finish() } else { subscribers.append(channel) }
        return EventSubscription(replay: replay, channel: channel)
    }

    /// The whole log as it stands now, to be streamed without holding it.
    public func history() -> FileSlice { FileSlice(path: path, end: size) }

    public var subscriberCount: Int {
        subscribers.removeAll { $0.isFinished }
        return subscribers.count
    }

    public func close() {
        for channel in subscribers { channel.finish() }
        subscribers.removeAll()
        file.close()
    }

    private static let sequencePrefix = Array("{\"seq\":".utf8)
    private static let kindMarker = Array(",\"kind\":\"".utf8)
    private static let dataMarker = Array("\",\"data\":".utf8)

    /// A stored line's parts as byte ranges of it (no copy): for walks over a whole log.
    struct StoredBytes {
        let sequence: Int
        let kind: ArraySlice<UInt8>
        let data: ArraySlice<UInt8>
    }

    /// Reads back a line this actor wrote, at the byte level (a long history must load fast).
    static func parseBytes(_ line: ArraySlice<UInt8>) -> StoredBytes? {
        guard line.starts(with: sequencePrefix), line.last == UInt8(ascii: "}") else { return nil }
        var index = line.startIndex + sequencePrefix.count
        var sequence = 0
        while index < line.endIndex, line[index] >= 0x30, line[index] <= 0x39 {
            sequence = sequence * 10 + Int(line[index] - 0x30)
            index += 1
        }
        guard line[index...].starts(with: kindMarker) else { return nil }
        index += kindMarker.count
        guard let kindEnd = line[index...].firstIndex(of: UInt8(ascii: "\"")), line[kindEnd...].starts(with: dataMarker) else { return nil }
        return StoredBytes(sequence: sequence, kind: line[index..<kindEnd], data: line[(kindEnd + dataMarker.count)..<(line.endIndex - 1)])
    }

    static func parse(_ line: ArraySlice<UInt8>) -> StoredLine? {
        parseBytes(line).map { StoredLine(sequence: $0.sequence, kind: String(decoding: $0.kind, as: UTF8.self),
                                          data: Substring(String(decoding: $0.data, as: UTF8.self))) }
    }

    static func parse(_ line: Substring) -> StoredLine? { parse(Array(line.utf8)[...]) }
}
