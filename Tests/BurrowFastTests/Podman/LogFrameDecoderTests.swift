@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

final class LogFrameDecoderTests: XCTestCase {
    static func frame(_ stream: UInt8, _ text: String) -> [UInt8] {
        let payload = Array(text.utf8)
        let length = UInt32(payload.count)
        return [stream, 0, 0, 0, UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)] + payload
    }

    /// As Podman sends it: a line split across two stdout frames, stderr in between, a frame with two lines.
    let recorded = frame(1, "first li") + frame(2, "oops\n") + frame(1, "ne\nsecond\nthird") + frame(1, " line\n") + frame(2, "")

    func lines(_ pieces: [ArraySlice<UInt8>]) -> [LineAssembler.Line] {
        var decoder = LogFrameDecoder()
        var assembler = LineAssembler()
        var lines: [LineAssembler.Line] = []
        for piece in pieces { for frame in decoder.decode(piece) { lines += assembler.add(frame) } }
        return lines + assembler.flush()
    }

    func testEveryCutGivesTheSameLines() {
        let expected = [
            LineAssembler.Line(stream: .stderr, bytes: Array("oops".utf8)),
            LineAssembler.Line(stream: .stdout, bytes: Array("first line".utf8)),
            LineAssembler.Line(stream: .stdout, bytes: Array("second".utf8)),
            LineAssembler.Line(stream: .stdout, bytes: Array("third line".utf8)),
        ]
        XCTAssertEqual(lines([recorded[...]]), expected)
        for cut in 0...recorded.count {
            XCTAssertEqual(lines([recorded[0..<cut], recorded[cut...]]), expected, "cut at \(cut)")
        }
        for first in stride(from: 0, through: recorded.count, by: 3) {
            for second in first...recorded.count {
                XCTAssertEqual(lines([recorded[0..<first], recorded[first..<second], recorded[second...]]), expected)
            }
        }
    }

    func testRawStreamFromATTYIsDetected() {
        var decoder = LogFrameDecoder()
        let frames = decoder.decode(Array("hello from a tty\n".utf8))
        XCTAssertEqual(decoder.mode, .raw)
        XCTAssertEqual(frames, [LogFrameDecoder.Frame(stream: .stdout, payload: Array("hello from a tty\n".utf8))])
        var explicit = LogFrameDecoder(mode: .raw)
        XCTAssertEqual(explicit.decode(Array("ab".utf8)).first?.payload, Array("ab".utf8))
    }

    func testOverlongLineIsCutNotBuffered() {
        var assembler = LineAssembler(maxLineBytes: 10)
        let lines = assembler.add(.init(stream: .stdout, payload: Array(repeating: 0x61, count: 25)))
        XCTAssertEqual(lines.map(\.bytes.count), [10, 10])
        XCTAssertEqual(assembler.flush().first?.bytes.count, 5)
    }

    func testTarRoundTrip() throws {
        var writer = TarWriter()
        writer.addDirectory("dir", uid: 1000)
        writer.addFile("dir/hello.txt", Array("hi".utf8), mode: 0o600)
        let long = String(repeating: "n", count: 150) + ".txt"
        writer.addFile(long, Array("long".utf8))
        let entries = try TarReader.entries(writer.finished())
        XCTAssertEqual(entries.map(\.path), ["dir/", "dir/hello.txt", long])
        XCTAssertEqual(entries[1].data, Array("hi".utf8))
        XCTAssertEqual(entries[1].mode, 0o600)
        XCTAssertEqual(entries[2].data, Array("long".utf8))
    }
}
