@testable import BurrowKit
import XCTest

/// The two fields that bound a request's cost, read from hostile JSON without decoding it.
final class RequestTermsTests: XCTestCase {
    func testTheTopLevelFieldsAreReadAndNestedOnesIgnored() {
        let body = #" { "messages": [{"role": "user", "content": "\"max_tokens\": 1, {\"model\"}"}], "system": {"model": "x", "max_tokens": 2},"#
            + #" "model" : "claude-opus-5-5", "stream": true, "max_tokens": 32000 } "#
        XCTAssertEqual(try RequestTerms.scan(Array(body.utf8)).get(), RequestTerms(model: "claude-opus-5-5", maxTokens: 32000))
        XCTAssertEqual(try RequestTerms.scan(Array(#"{"max_tokens": 1.5e3}"#.utf8)).get(), RequestTerms(model: nil, maxTokens: 1500))
        XCTAssertEqual(try RequestTerms.scan(Array(#"{"max_tokens": -5, "model": 7}"#.utf8)).get(), RequestTerms(model: nil, maxTokens: 0))
        XCTAssertEqual(try RequestTerms.scan(Array("{}".utf8)).get(), RequestTerms())
    }

    /// What the upstream could read differently is refused: escaped keys, repeated fields, not a number.
    func testAmbiguousBodiesAreRefused() {
        for body in [#"{"max\u005ftokens": 100000, "max_tokens": 1}"#, #"{"max_tokens": 1, "max_tokens": 100000}"#,
                     #"{"model": "a", "model": "b"}"#, #"{"model": "claude-opus\u002d5-5"}"#, #"{"max_tokens": "100"}"#,
                     #"{"max_tokens": null}"#, "[1]", "", #"{"a": "unterminated"#, #"{"a": [1, 2"#] {
            guard case .failure = RequestTerms.scan(Array(body.utf8)) else { return XCTFail("accepted: \(body)") }
        }
    }

    /// Cut at every offset: never a crash, never a wrong reading, only a refusal.
    func testEveryPrefixIsRefusedOrRead() {
        let body = Array(#"{"model":"claude-opus-5-5","messages":[{"content":"a\"b"}],"max_tokens":4096}"#.utf8)
        for cut in 0..<body.count {
            if case .success(let terms) = RequestTerms.scan(Array(body[0..<cut])) { XCTFail("a prefix of \(cut) bytes read as \(terms)") }
        }
        XCTAssertEqual(try RequestTerms.scan(body).get(), RequestTerms(model: "claude-opus-5-5", maxTokens: 4096))
    }

    /// Reservations add up, settle to what was metered and are released on failure.
    func testReservationsSettleAndRelease() {
        let gate = BudgetGate(limit: Budget(usd: 1, tokens: 1000))
        let hold = BudgetGate.Hold(usd: 0.6, tokens: 500)
        XCTAssertNil(gate.reserve(hold))
        XCTAssertEqual(gate.reserve(hold), BudgetGate.Refusal(
            message: "budget: $0.6 of $1.0 spent or reserved; this request may cost up to $0.6 (its input and max_tokens at its model's prices): "
                + "retry when the requests in flight have ended", final: false))
        gate.settle(hold, model: "claude-opus-5-5", usage: TokenUsage(inputTokens: 100), cost: 0.1)
        XCTAssertEqual(gate.reserved, BudgetGate.Hold(usd: 0, tokens: 0))
        XCTAssertNil(gate.reserve(hold), "the settled request left room")
        gate.release(hold)
        XCTAssertEqual(gate.reserved, BudgetGate.Hold(usd: 0, tokens: 0))
        XCTAssertEqual(gate.spent.costUSD, 0.1, accuracy: 1e-12)
        XCTAssertEqual(gate.spent.tokens.total, 100)
    }

    /// A request alone may pass what remains (its worst case is pessimistic; the overshoot is at most
    /// that one request's); once the budget is spent every request is refused for good.
    func testALoneRequestMayPassWhatRemainsOnceThenTheBudgetIsSpent() {
        let gate = BudgetGate(limit: Budget(usd: 1))
        let large = BudgetGate.Hold(usd: 5, tokens: 0)
        XCTAssertNil(gate.reserve(large), "nothing in flight and $1 left: let through")
        XCTAssertEqual(gate.reserve(BudgetGate.Hold(usd: 0.01, tokens: 0))?.final, false, "beside it only what fits")
        gate.settle(large, model: "claude-opus-5-5", usage: TokenUsage(inputTokens: 100), cost: 1.5)
        let refusal = gate.reserve(BudgetGate.Hold(usd: 0.01, tokens: 0))
        XCTAssertEqual(refusal?.final, true)
        XCTAssertEqual(refusal?.message, "budget: $1.5 of $1.0 spent or reserved; the burrow's budget is reached")
    }

    /// Admission takes from the burrow's and the total account or from neither; a chunked body,
    /// admitted at the most, keeps only its size once read.
    func testBodyAdmissionIsAllOrNothingAndShrinks() throws {
        let burrow = BodyAdmission(limit: 32 << 20), total = BodyAdmission(limit: 48 << 20), other = BodyAdmission(limit: 32 << 20)
        let chunked = try AdmittedBody.admit(32 << 20, into: [burrow, total]).get()
        guard case .failure(let busy) = AdmittedBody.admit(20 << 20, into: [other, total]) else { return XCTFail("admitted past the total") }
        XCTAssertFalse(busy.perBurrow)
        XCTAssertEqual(other.bytesInFlight, 0, "nothing kept of a refused admission")
        let small = chunked.shrunk(to: 1024)
        XCTAssertEqual(burrow.bytesInFlight, 1024)
        XCTAssertEqual(total.bytesInFlight, 1024)
        let second = try AdmittedBody.admit(20 << 20, into: [other, total]).get()
        small.release()
        second.release()
        XCTAssertEqual(total.bytesInFlight, 0)
    }
}
