@testable import BurrowKit
@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// Claude Code's stream-json as the real CLI (2.1.330) writes it: system events besides init, and a
/// result that reports a failed API call with subtype `success` and `is_error: true`.
final class AgentOutputTests: XCTestCase {
    func summary(_ line: String) throws -> AgentOutput.Summary { try XCTUnwrap(AgentOutput.parse(Array(line.utf8)), line) }

    func testAResultWithIsErrorFailsTheTurnWithTheAPIsReason() throws {
        var record = BurrowRecord(id: "abc", repo: "demo", task: "t", gpu: false)
        AgentOutput.apply(try summary(#"{"type":"system","subtype":"init","session_id":"s1","model":"m"}"#), to: &record)
        AgentOutput.apply(try summary(#"{"type":"system","subtype":"api_retry","attempt":1,"error_status":529,"session_id":"s1"}"#), to: &record)
        XCTAssertNil(record.agentError)
        AgentOutput.apply(try summary(#"{"type":"result","subtype":"success","is_error":true,"api_error_status":529,"total_cost_usd":0,"result":"API Error: 529 Overloaded","session_id":"s1"}"#), to: &record)
        XCTAssertEqual(record.sessionID, "s1")
        let reason = try XCTUnwrap(record.agentError)
        XCTAssertTrue(reason.contains("API status 529") && reason.contains("API Error: 529 Overloaded"), reason)
        XCTAssertEqual(reason, "the agent reported an error (API status 529): API Error: 529 Overloaded", "never \"success\" for a failure")
        XCTAssertEqual(record.error, reason)
        // The next turn's init starts clean.
        AgentOutput.apply(try summary(#"{"type":"system","subtype":"init","session_id":"s1"}"#), to: &record)
        XCTAssertNil(record.agentError)
    }

    func testErrorSubtypesFailAndSuccessDoesNot() throws {
        var record = BurrowRecord(id: "abc", repo: "demo", task: "t", gpu: false)
        AgentOutput.apply(try summary(#"{"type":"result","subtype":"error_max_turns","is_error":false,"num_turns":3}"#), to: &record)
        XCTAssertTrue(record.agentError?.contains("error_max_turns") == true, "\(record)")
        AgentOutput.apply(try summary(#"{"type":"result","subtype":"success","is_error":false,"api_error_status":null,"result":"ok"}"#), to: &record)
        XCTAssertNil(record.agentError)
        XCTAssertEqual(record.result, "ok")
    }

    func testAFieldOfAnUnexpectedTypeLosesThatFieldNotTheEvent() throws {
        let parsed = try summary(#"{"type":"result","subtype":"success","is_error":"yes","total_cost_usd":"0.1","api_error_status":"529","num_turns":2.5,"session_id":7}"#)
        XCTAssertEqual(parsed.type, "result")
        XCTAssertNil(parsed.costUSD)
        XCTAssertNil(parsed.isError)
        XCTAssertNil(parsed.sessionID)
        XCTAssertEqual(parsed.apiErrorStatus, "529")
        XCTAssertNil(AgentOutput.parse(Array(#"{"subtype":"init"}"#.utf8)), "no type: plain output")
        XCTAssertNil(AgentOutput.parse(Array(#"["type"]"#.utf8)))
    }
}
