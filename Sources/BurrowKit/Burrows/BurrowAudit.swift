import FoundationEssentials
import BurrowSystem

/// One burrow's audit trail: every egress decision and model call its proxy reports (the same
/// `NetEvent`s its event stream shows), one JSON object a line in `audit.ndjson` beside its record.
/// Kept after teardown with the record, removed with it (`purge`). Bounded by `limits.eventLog`: the
/// line that would pass the cap is replaced by one saying so; later decisions are counted, not
/// written, and the count is written when the trail closes (the end of the burrow's turn).
actor BurrowAudit {
    static let fileName = "audit.ndjson"
    /// Room kept past the cap for the notices.
    static let noticeRoom = 1024

    /// One line. Strings the agent chose (host, path, reason) are cut to a bounded length.
    struct Line: Encodable {
        let time: Double
        let phase: NetEvent.Phase
        let host: String
        let port: UInt16
        let method: String
        let path: String?
        let allowed: Bool
        let decidedBy: String?
        let rule: String?
        let credential: String?
        let status: Int?
        let bytesSent: Int?
        let bytesReceived: Int?
        let durationMs: Double?
        let reason: String?
        let model: String?
        let costUSD: Double?

        init(_ event: NetEvent, time: Double) {
            self.time = time
            phase = event.phase
            host = String(event.host.prefix(256))
            port = event.port
            method = String(event.method.prefix(32))
            path = event.path.map { String($0.prefix(2048)) }
            allowed = event.allowed
            // The proxy's own allowlist decides what nothing else claimed.
            decidedBy = event.decidedBy ?? "policy"
            rule = event.rule.map { String($0.prefix(512)) }
            credential = event.credential.map { String($0.prefix(128)) }
            status = event.status
            bytesSent = event.bytesSent
            bytesReceived = event.bytesReceived
            durationMs = event.durationMs
            reason = event.reason.map { String($0.prefix(1024)) }
            model = event.model
            costUSD = event.costUSD
        }
    }

    struct Notice: Encodable {
        let time: Double
        let truncated = true
        let notWritten: Int
        let message: String
    }

    nonisolated let path: String
    private let file: AppendOnlyFile
    private let limit: Int
    private var size: Int
    /// Decisions not written since the cap, and as many as the last notice told.
    private var notWritten = 0
    private var told = 0
    private var capped: Bool

    /// Opens (or reopens, for the next turn) the trail at `path`, capped at `limit` bytes.
    init(path: String, limit: Int) throws {
        self.path = path
        self.limit = max(limit, 2 * Self.noticeRoom)
        _ = try AppendOnlyFile.repairTruncatedTail(path)
        file = try AppendOnlyFile(path: path)
        size = FileSystem.status(path)?.size ?? 0
        capped = size + Self.noticeRoom >= self.limit
    }

    func record(_ event: NetEvent) {
        let time = Date().timeIntervalSince1970
        guard !capped else { notWritten += 1; return }
        let line = Self.encode(Line(event, time: time))
        if size + line.count + Self.noticeRoom > limit {
            capped = true
            notWritten += 1
            write(Notice(time: time, notWritten: 0, message: "the audit reached its cap (limits.eventLog, \(LimitsConfig.describe(Int64(limit)))): "
                + "later decisions are counted, not written"))
            return
        }
        append(line)
    }

    /// Writes how many decisions the cap kept out since the last notice, then closes the file.
    func close() {
        if notWritten > told {
            told = notWritten
            write(Notice(time: Date().timeIntervalSince1970, notWritten: notWritten, message: "\(notWritten) decisions past the cap were not written"))
        }
        file.close()
    }

    private func write<T: Encodable>(_ notice: T) { append(Self.encode(notice)) }

    private func append(_ line: [UInt8]) {
        do {
            try file.append(line)
            size += line.count
        } catch {
            size = FileSystem.status(path)?.size ?? size
        }
    }

    static func encode<T: Encodable>(_ value: T) -> [UInt8] {
        ((try? JSONCoding.encoder.encode(value)).map(Array.init) ?? Array("null".utf8)) + [0x0A]
    }

    /// The trail as it is now, for `GET /api/burrows/{id}/audit`: nothing yet when no file.
    static func slice(path: String) -> FileSlice? {
        FileSystem.status(path).map { FileSlice(path: path, end: $0.size) }
    }
}
