import BurrowSystem

/// One run of a repo's check after a turn, as the record, the list and the group page show it.
public struct CheckRun: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        /// Under way in the burrow's sandbox.
        case running
        case passed, failed
        /// Still running at `checkTimeoutSeconds`: killed, the burrow goes on.
        case timedOut
        /// It could not run at all (e.g. Podman refused its container): `error` says why.
        case error
    }

    public var turn: Int
    public var status: Status
    public var exitCode: Int32?
    public var durationMs: Int?
    /// All the bytes it printed, and how many of them (from the start) were left out of the transcript.
    public var outputBytes: Int?
    public var cutBytes: Int?
    public var error: String?
    /// Failed checks sent back to the agent so far (at most the repo's `checkRetries`).
    public var retriesUsed: Int = 0

    public init(turn: Int, status: Status, retriesUsed: Int = 0) {
        self.turn = turn
        self.status = status
        self.retriesUsed = retriesUsed
    }
}

/// A check's output, bounded: the last `limit` bytes are kept and the rest counted, so a check that
/// prints megabytes costs the host `limit` bytes (the end of a test run is where the failures are).
struct CheckOutput: Sendable {
    static let defaultLimit = 64 * 1024
    let limit: Int
    private(set) var total = 0
    private var kept: [UInt8] = []

    init(limit: Int = Self.defaultLimit) { self.limit = limit }

    mutating func append(_ bytes: [UInt8]) {
        total += bytes.count
        if bytes.count >= limit {
            kept = Array(bytes.suffix(limit))
        } else {
            kept.append(contentsOf: bytes)
            // Trimmed in halves, not per append: amortized linear, at most twice the limit held.
            if kept.count > 2 * limit { kept.removeFirst(kept.count - limit) }
        }
    }

    var tail: [UInt8] { Array(kept.suffix(limit)) }
    var cut: Int { total - tail.count }

    /// The tail as text (bytes that are not UTF-8 shown as U+FFFD).
    var text: String { String(decoding: tail, as: UTF8.self) }
}

/// The transcript entry of a check (`event: check`): its result and the tail of its output.
struct CheckEvent: Encodable {
    let check: CheckRun
    let command: [String]
    let output: String
}
