@testable import BurrowSystem
@testable import BurrowKit
import XCTest
@testable import BurrowCommands

/// `burrow shell`'s wire format and command lines: frames in any cut, a limit a peer cannot pass,
/// Podman's exec frames passed on in pieces, and `exec ID -- COMMAND…`.
final class ShellFrameTests: XCTestCase {
    func testFramesSurviveAnyCut() throws {
        let frames: [ShellFrame] = [.resize(rows: 40, columns: 120), .input(Array("ls\n".utf8)), .inputEnd,
                                    .stdout([0, 1, 2]), .stderr(Array("err".utf8)), .exit(-1), .exit(7), .failure("no such container")]
        let bytes = frames.flatMap(\.encoded)
        for cut in [1, 2, 3, 5, 7, bytes.count] {
            var decoder = ShellFrameDecoder()
            var decoded: [ShellFrame] = []
            for start in stride(from: 0, to: bytes.count, by: cut) { decoded += try decoder.decode(bytes[start..<min(bytes.count, start + cut)]) }
            XCTAssertEqual(decoded, frames, "cut \(cut)")
        }
    }

    func testAFrameOverTheLimitOrOfAnUnknownKindIsRefused() {
        var decoder = ShellFrameDecoder()
        XCTAssertThrowsError(try decoder.decode([1] + ShellFrame.bigEndian(UInt32(ShellFrame.maxPayload + 1)))) { error in
            XCTAssertTrue("\(error)".contains("at most"), "\(error)")
        }
        var other = ShellFrameDecoder()
        XCTAssertThrowsError(try other.decode([99, 0, 0, 0, 0]))
        var short = ShellFrameDecoder()
        XCTAssertThrowsError(try short.decode([3, 0, 0, 0, 2, 0, 1]), "a resize needs 4 bytes")
        XCTAssertEqual(ShellFrame.output([UInt8](repeating: 1, count: ShellFrame.maxPayload * 2 + 1), stderr: false).count, 3)
    }

    /// A frame the box's output makes as large as Podman allows is forwarded as it arrives, in
    /// pieces within the limit, never gathered whole.
    func testPodmanExecFramesArePassedOnInPieces() {
        var demux = ExecOutputDemux()
        let huge = 10 << 20
        var out: [ShellFrame] = demux.split([2, 0, 0, 0] + ShellFrame.bigEndian(UInt32(huge)) + Array(repeating: 0x61, count: 100))
        XCTAssertEqual(out, [.stderr(Array(repeating: 0x61, count: 100))])
        out = demux.split(Array(repeating: 0x62, count: ShellFrame.maxPayload + 5))
        XCTAssertEqual(out.count, 2)
        XCTAssertTrue(out.allSatisfy { if case .stderr(let bytes) = $0 { bytes.count <= ShellFrame.maxPayload } else { false } })
        var small = ExecOutputDemux()
        let stream: [UInt8] = [1, 0, 0, 0, 0, 0, 0, 2] + Array("hi".utf8) + [2, 0, 0, 0, 0, 0, 0, 1] + Array("!".utf8)
        var frames: [ShellFrame] = []
        for byte in stream { frames += small.split([byte]) }
        XCTAssertEqual(frames, [.stdout([0x68]), .stdout([0x69]), .stderr([0x21])])
    }

    func testShellAndExecCommandLines() throws {
        let exec = ClientInvocation(verb: .exec, arguments: ["abc", "sh", "-c", "exit 7"])
        XCTAssertEqual(try CommandLineParser.parse(["exec", "abc", "--", "sh", "-c", "exit 7"]).get(), .client(exec))
        XCTAssertEqual(exec.command, ["sh", "-c", "exit 7"])
        var configured = ClientInvocation(verb: .exec, arguments: ["abc", "id", "-u"])
        configured.configPath = "b.json"
        XCTAssertEqual(try CommandLineParser.parse(["exec", "--config", "b.json", "abc", "--", "id", "-u"]).get(), .client(configured))
        XCTAssertEqual(try CommandLineParser.parse(["shell", "abc"]).get(), .client(ClientInvocation(verb: .shell, arguments: ["abc"])))
        for line in [["exec", "abc"], ["exec", "abc", "--"], ["shell"], ["shell", "a", "b"], ["exec", "abc", "ls", "-la"]] {
            guard case .failure(let error) = CommandLineParser.parse(line) else { return XCTFail("\(line) parsed") }
            XCTAssertTrue(error.usage.hasPrefix("usage: burrow \(line[0])"), error.usage)
        }
    }
}
