@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

final class UsageMeterTests: XCTestCase {
    static let stream = """
    event: message_start\r
    data: {"type":"message_start","message":{"model":"claude-opus-5-5","usage":{"input_tokens":100,"cache_creation_input_tokens":20,"cache_read_input_tokens":30,"output_tokens":1}}}\r
    \r
    event: content_block_delta
    data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"{\\"type\\":\\"message_delta\\",\\"usage\\":{\\"output_tokens\\":999}}"}}

    event: message_delta
    data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":5}}

    event: message_delta
    data: {"type":"message_delta","delta":{},"usage":{"output_tokens":9}}

    event: message_stop
    data: {"type":"message_stop"}


    """

    /// The same stream cut at every offset reads the same: lines may arrive in any pieces.
    func testStreamedUsageReadsTheSameCutAnywhere() {
        let bytes = Array(Self.stream.utf8)
        for cut in 0...bytes.count {
            var meter = UsageMeter(contentType: "text/event-stream; charset=utf-8")
            meter.feed(Array(bytes[..<cut]))
            meter.feed(Array(bytes[cut...]))
            meter.finish()
            XCTAssertEqual(meter.model, "claude-opus-5-5")
            XCTAssertEqual(meter.usage, TokenUsage(inputTokens: 100, outputTokens: 9, cacheCreationTokens: 20, cacheReadTokens: 30), "cut at \(cut)")
        }
    }

    func testPlainJSONAnswer() {
        var meter = UsageMeter(contentType: "application/json")
        for byte in Array(#"{"id":"m","model":"claude-haiku-4-5-20251001","usage":{"input_tokens":7,"output_tokens":3}}"#.utf8) { meter.feed([byte]) }
        meter.finish()
        XCTAssertEqual(meter.usage, TokenUsage(inputTokens: 7, outputTokens: 3))
        XCTAssertEqual(ModelPrices().price(for: meter.model!)?.cost(meter.usage!) ?? 0, (7 * 1 + 3 * 5) / 1e6, accuracy: 1e-12)
    }

    /// Hostile upstream: a huge line, garbage, absurd numbers. Memory stays bounded, nothing crashes,
    /// numbers stay in range, and a good message after the junk is still read.
    func testHostileStreamsCostBoundedMemory() {
        var meter = UsageMeter(contentType: "text/event-stream")
        let junk = [UInt8](repeating: UInt8(ascii: "a"), count: 256 << 10)
        for _ in 0..<20 { meter.feed(junk) }
        meter.feed(Array("\n\0\0\u{1}data: {not json\n".utf8))
        meter.feed(Array(#"data: {"type":"message_start","message":{"usage":{"input_tokens":99999999999999999,"output_tokens":-5}}}"#.utf8 + [10]))
        meter.finish()
        XCTAssertEqual(meter.usage?.inputTokens, 1 << 40)
        XCTAssertEqual(meter.usage?.outputTokens, 0)
        var other = UsageMeter(contentType: "text/html")
        other.feed(Array("data: {\"type\":\"message_start\"}\n".utf8))
        XCTAssertNil(other.usage)
    }

    func testPricesAndUnpricedModels() {
        let prices = ModelPrices(overrides: ["my-model": ModelPrice(input: 1, output: 2, cacheWrite: 3, cacheRead: 4)])
        XCTAssertEqual(prices.price(for: "claude-sonnet-4-5-20250929"), ModelPrices.defaults["claude-sonnet-4-5"])
        XCTAssertEqual(prices.price(for: "claude-opus-4-1-20250805")?.input, 15)
        XCTAssertEqual(prices.price(for: "My-Model")?.cacheRead, 4)
        XCTAssertNil(prices.price(for: "gpt-9"))
        var usage = MeteredUsage()
        usage.add(model: "gpt-9", usage: TokenUsage(inputTokens: 5), cost: nil)
        usage.add(model: "claude-opus-5-5", usage: TokenUsage(outputTokens: 1_000_000), cost: 20)
        XCTAssertEqual(usage.unpricedModels, ["gpt-9"])
        XCTAssertEqual(usage.costUSD, 20)
        XCTAssertEqual(usage.tokens.total, 1_000_005)
    }
}
