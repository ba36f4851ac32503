@testable import BurrowKit
@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman
import Foundation
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// The agent is the attacker: its `result` and `system` events decide only its own burrow's outcome,
/// and what they carry is kept bounded and as text.
final class AgentErrorHostileTests: XCTestCase {
    func testAForgedErrorResultFailsOnlyItsOwnBurrowWithABoundedReason() async throws {
        let script = #"""
        huge=$(head -c 200000 /dev/zero | tr '\0' 'A')
        echo '{"type":"system","subtype":"init","session_id":"s-hostile","model":"m"}'
        echo '{"type":"system","subtype":"api_retry","attempt":"many","error_status":{"nested":[1,2]},"session_id":"s-hostile"}'
        echo '{"type":"system","subtype":"init","session_id":null}'
        printf '{"type":"result","subtype":"success","is_error":true,"api_error_status":[529],"result":"<script>alert(1)</script>%s","session_id":"s-hostile"}\n' "$huge"
        exit 0
        """#
        let app = try await BurrowTestApp { config in
            config.agentCommand = ["sh", "-c", script, "sh"]
            config.taskInput = .argument
        }
        let launched = try await app.launch("hostile result")
        let record = try await app.finished(launched.id)
        XCTAssertEqual(record.exitCode, 0, "the agent exited 0")
        XCTAssertEqual(record.state, .failed, "its own result says it failed")
        let error = try XCTUnwrap(record.error)
        XCTAssertTrue(error.hasPrefix("the agent reported an error: <script>alert(1)</script>AAAA"), String(error.prefix(200)))
        XCTAssertLessThan(error.count, 2200, "the reason is bounded")
        XCTAssertEqual(record.sessionID, "s-hostile")
        let events = try await app.readStream(launched.id)
        XCTAssertEqual(events.filter { $0.kind == "agent" }.count, 4, "every event kept verbatim")
        await app.cleanUp()
    }
}
