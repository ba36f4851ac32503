import FoundationEssentials
import BurrowSystem
import BurrowHTTP
import BurrowPodman

/// Reads Claude Code's `stream-json` lines. A stdout line that is a JSON object with a `type` is an
/// agent event and is kept verbatim (unknown types and fields included); anything else is plain output.
public enum AgentOutput {
    struct Fields: Decodable {
        let type: String
        let subtype: String?
        let session_id: String?
        let total_cost_usd: Double?
        let num_turns: Int?
        let duration_ms: Int?
        let result: String?
        let is_error: Bool?
    }

    public struct Summary: Sendable, Equatable {
        public var type: String
        public var sessionID: String?
        public var costUSD: Double?
        public var turns: Int?
        public var durationMs: Int?
        public var result: String?
        public var isError: Bool?
    }

    /// The summary of an agent event, or nil when the line is not one.
    public static func parse(_ line: [UInt8]) -> Summary? {
        guard line.first == UInt8(ascii: "{"),
              let fields = try? JSONCoding.decoder.decode(Fields.self, from: Data(line)), !fields.type.isEmpty else { return nil }
        return Summary(type: fields.type, sessionID: fields.session_id, costUSD: fields.total_cost_usd, turns: fields.num_turns,
                       durationMs: fields.duration_ms, result: fields.result, isError: fields.is_error)
    }

    /// Folds an event into the record: the session id from `system/init`, the outcome from `result`.
    public static func apply(_ summary: Summary, to record: inout BurrowRecord) {
        if let session = summary.sessionID, record.sessionID == nil || summary.type == "system" { record.sessionID = session }
        if summary.type == "result" {
            if let cost = summary.costUSD {
                // Only the agent's claim, and Claude Code's is cumulative over resumed turns: the latest
                // is kept, never summed. The metered cost, when the model endpoint has one, is what counts.
                record.agentReportedCostUSD = cost
                if record.metered == nil {
                    while record.turnCosts.count < record.turn { record.turnCosts.append(0) }
                    record.turnCosts[record.turn - 1] = cost
                    record.costUSD = cost
                }
            }
            record.turns = summary.turns ?? record.turns
            record.durationMs = summary.durationMs ?? record.durationMs
            record.result = summary.result ?? record.result
        }
    }
}
