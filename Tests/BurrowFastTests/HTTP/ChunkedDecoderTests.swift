@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

final class ChunkedDecoderTests: XCTestCase {
    /// A chunked body as Podman sends it, with an extension and a trailer, followed by the next message.
    let recorded = Array("5\r\nhello\r\n1;ext=1\r\n \r\n10\r\n0123456789abcdef\r\n0\r\nX-Trailer: t\r\n\r\nNEXT".utf8)
    let payload = Array("hello 0123456789abcdef".utf8)

    func testDecodesWhole() throws {
        var decoder = ChunkedDecoder()
        var output: [UInt8] = []
        let used = try decoder.decode(recorded[...], into: &output)
        XCTAssertTrue(decoder.isComplete)
        XCTAssertEqual(output, payload)
        XCTAssertEqual(Array(recorded[used...]), Array("NEXT".utf8))
    }

    func testEverySplitPointGivesTheSameResult() throws {
        for cut in 0...recorded.count {
            var decoder = ChunkedDecoder()
            var output: [UInt8] = []
            var used = try decoder.decode(recorded[0..<cut], into: &output)
            XCTAssertEqual(used, decoder.isComplete ? used : cut, "everything before completion is consumed")
            if !decoder.isComplete { used += try decoder.decode(recorded[cut...], into: &output) }
            XCTAssertTrue(decoder.isComplete, "cut \(cut)")
            XCTAssertEqual(output, payload, "cut \(cut)")
            XCTAssertEqual(Array(recorded[used...]), Array("NEXT".utf8), "cut \(cut)")
        }
    }

    func testByteAtATime() throws {
        var decoder = ChunkedDecoder()
        var output: [UInt8] = []
        var index = 0
        while !decoder.isComplete {
            index += try decoder.decode(recorded[index..<(index + 1)], into: &output)
        }
        XCTAssertEqual(output, payload)
    }

    func testRejectsMalformedAndOversized() {
        func fails(_ text: String, max: Int = .max) -> Bool {
            var decoder = ChunkedDecoder(maxBodyBytes: max, maxLineBytes: 32)
            var output: [UInt8] = []
            return (try? decoder.decode(Array(text.utf8)[...], into: &output)) == nil
        }
        XCTAssertTrue(fails("zz\r\n"))
        XCTAssertTrue(fails("\r\n"))
        XCTAssertTrue(fails("3\r\nabcX"))
        XCTAssertTrue(fails("3\nabc"))
        XCTAssertTrue(fails("a\r\n0123456789\r\n", max: 5))
        XCTAssertTrue(fails(String(repeating: "0", count: 40)))
        XCTAssertTrue(fails("fffffffffffffffffff\r\n"))
        XCTAssertFalse(fails("3\r\nabc\r\n0\r\n\r\n"))
    }

    func testEncoderRoundTrip() throws {
        let encoded = ChunkedEncoder.chunk(Array("hello".utf8)) + ChunkedEncoder.chunk(Array(repeating: 0x41, count: 300)) + ChunkedEncoder.end
        var decoder = ChunkedDecoder()
        var output: [UInt8] = []
        _ = try decoder.decode(encoded[...], into: &output)
        XCTAssertTrue(decoder.isComplete)
        XCTAssertEqual(output, Array("hello".utf8) + Array(repeating: 0x41, count: 300))
    }
}
