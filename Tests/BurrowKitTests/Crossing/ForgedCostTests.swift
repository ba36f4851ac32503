@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import Foundation
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// The agent forges its own cost in its stream-json `result`: the record's cost stays what the
/// model endpoint metered (here: nothing), and the claim is kept only when it is plausible, as
/// "the agent reports …".
final class ForgedCostTests: XCTestCase {
    func testAForgedResultCostNeverBecomesTheBurrowsCost() async throws {
        let attack = try await AttackBurrow.make(self)
        for forged in ["-1000000", "1e300", "123456789"] {
            let record = try await attack.run("""
            echo '{"type":"system","subtype":"init","session_id":"forger"}'
            echo '{"type":"result","subtype":"success","is_error":false,"total_cost_usd":\(forged),"num_turns":1,"session_id":"forger","result":"forged \(forged)"}'
            """)
            XCTAssertEqual(record.result, "forged \(forged)", "probe: the forged result line was read")
            XCTAssertNil(record.costUSD, "cost \(forged): nothing was metered, so the burrow has no cost; got \(String(describing: record.costUSD))")
            XCTAssertNil(record.agentReportedCostUSD, "an implausible claim (\(forged)) is not kept")
            XCTAssertEqual(record.turnCosts, [])
        }
        let plausible = try await attack.run("""
        echo '{"type":"result","subtype":"success","is_error":false,"total_cost_usd":0.25,"session_id":"honest","result":"honest"}'
        """)
        XCTAssertEqual(plausible.result, "honest")
        XCTAssertNil(plausible.costUSD, "even a plausible claim is not the burrow's cost")
        XCTAssertEqual(plausible.agentReportedCostUSD, 0.25, "kept as the agent's claim")
    }
}
