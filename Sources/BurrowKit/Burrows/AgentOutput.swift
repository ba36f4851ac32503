import FoundationEssentials
import BurrowSystem
import BurrowPodman

/// Reads Claude Code's `stream-json` lines. A stdout line that is a JSON object with a `type` is an
/// agent event and is kept verbatim (unknown types and fields included); anything else is plain output.
/// Fields are read leniently: one field of an unexpected type loses that field, never the event.
public enum AgentOutput {
    struct Fields {
        /// Only the fields a summary reads, found by one strict pass over the line that builds no
        /// other value (an event's message is most of every line; under a flood of 32 agents reading
        /// it was most of Burrow's CPU).
        enum Key: String, CaseIterable {
            case type, subtype, session_id, total_cost_usd, num_turns, duration_ms, result, is_error, api_error_status
        }
        static let keys = StrictJSON.Keys(Key.allCases.map(\.rawValue))
        /// Each key's raw value, in `Key`'s order: decoded only when read (most lines are read for `type` alone).
        let raw: [ArraySlice<UInt8>?]

        /// Nil when the line is not exactly one JSON object (`StrictJSON`).
        init?(_ line: [UInt8]) {
            guard let members = StrictJSON.members(of: line, keys: Self.keys) else { return nil }
            raw = members
        }

        func value(_ key: Key) -> ArraySlice<UInt8>? { raw[Key.allCases.firstIndex(of: key)!] }
        func string(_ key: Key) -> String? { value(key).flatMap(StrictJSON.string) }
        func number(_ key: Key) -> Double? { value(key).flatMap(StrictJSON.number) }
        func int(_ key: Key) -> Int? { number(key).flatMap { Int(exactly: $0.rounded()) } }
        func bool(_ key: Key) -> Bool? { value(key).flatMap(StrictJSON.bool) }
        /// A status Claude Code may write as a number or a string (`api_error_status`).
        func status(_ key: Key) -> String? {
            if let value = number(key) { return Int(exactly: value).map(String.init) ?? "\(value)" }
            return string(key)
        }
    }

    public struct Summary: Sendable, Equatable {
        public var type: String
        public var subtype: String?
        public var sessionID: String?
        public var costUSD: Double?
        public var turns: Int?
        public var durationMs: Int?
        public var result: String?
        public var isError: Bool?
        /// The HTTP status of the failed API call that ended the run (`result.api_error_status`).
        public var apiErrorStatus: String?
    }

    /// The summary of an agent event, or nil when the line is not one.
    public static func parse(_ line: [UInt8]) -> Summary? {
        guard line.first == UInt8(ascii: "{"), let fields = Fields(line),
              let type = fields.string(.type), !type.isEmpty else { return nil }
        return Summary(type: type, subtype: fields.string(.subtype), sessionID: fields.string(.session_id),
                       costUSD: fields.number(.total_cost_usd), turns: fields.int(.num_turns),
                       durationMs: fields.int(.duration_ms), result: fields.string(.result), isError: fields.bool(.is_error),
                       apiErrorStatus: fields.status(.api_error_status))
    }

    /// Why a `result` event says the run failed, or nil when it succeeded. `is_error` can be true with
    /// subtype `success` (a failed API call), and the error subtypes (`error_max_turns`, …) fail too.
    public static func failure(of summary: Summary) -> String? {
        guard summary.type == "result" else { return nil }
        let subtype = summary.subtype ?? "result"
        guard summary.isError == true || subtype.hasPrefix("error") else { return nil }
        // A failure is never called "success", the subtype Claude Code gives a failed API call.
        let details = (subtype == "success" ? [] : [subtype]) + (summary.apiErrorStatus.map { ["API status \($0)"] } ?? [])
        var reason = "the agent reported an error" + (details.isEmpty ? "" : " (\(details.joined(separator: ", ")))")
        if let text = summary.result, !text.isEmpty { reason += ": " + String(text.prefix(2000)) }
        return reason
    }

    /// The most an agent's own cost figure may say and still be shown: a claim beyond it, negative
    /// or not a number is dropped.
    static let maxReportedCostUSD = 10_000.0

    static func plausibleCost(_ cost: Double) -> Double? {
        cost.isFinite && cost >= 0 && cost <= maxReportedCostUSD ? cost : nil
    }

    /// Folds an event into the record: the session id from `system/init`, the outcome from `result`.
    /// Other `system` events (`api_retry`, `task_started`, …) only keep the session id current.
    public static func apply(_ summary: Summary, to record: inout BurrowRecord) {
        if let session = summary.sessionID, record.sessionID == nil || summary.type == "system" { record.sessionID = session }
        if summary.type == "system" && summary.subtype == "init" { record.agentError = nil }
        if summary.type == "result" {
            // Only the agent's claim, shown as "the agent reports …" and never as the burrow's cost,
            // which is what the model endpoint metered (the agent is the one under the budget).
            // Claude Code's is cumulative over resumed turns: the latest is kept, never summed.
            if let cost = summary.costUSD.flatMap(plausibleCost) { record.agentReportedCostUSD = cost }
            record.turns = summary.turns ?? record.turns
            record.durationMs = summary.durationMs ?? record.durationMs
            record.result = summary.result ?? record.result
            record.agentError = failure(of: summary)
            if let reason = record.agentError { record.error = reason }
        }
    }
}
