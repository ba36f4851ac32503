@testable import BurrowKit
@testable import BurrowSystem
import Foundation
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// A program's output read as it comes (a tar into an upload), its failure said, and the program
/// ended when the reader gives up.
final class StreamingOutputTests: XCTestCase {
    func testOutputArrivesWholeAndAFailingProgramThrows() async throws {
        let total = Locked(0)
        try await Subprocess.streamingOutput(["sh", "-c", "head -c 5000000 /dev/zero"]) { output in
            var buffer: [UInt8] = []
            while true {
                buffer.removeAll(keepingCapacity: true)
                let count = try await output.read(into: &buffer, maxBytes: 1 << 20)
                if count == 0 { return }
                total.withLock { $0 += count }
            }
        }
        XCTAssertEqual(total.withLock { $0 }, 5_000_000)
        do {
            try await Subprocess.streamingOutput(["sh", "-c", "echo partial; echo broken >&2; exit 3"]) { output in
                var buffer: [UInt8] = []
                while try await output.read(into: &buffer) > 0 {}
            }
            XCTFail("a failing program must throw")
        } catch let failure as Subprocess.Failure {
            XCTAssertEqual(failure.result.status, 3)
            XCTAssertTrue(failure.result.stderr.contains("broken"))
        }
    }

    func testANamedFileIsTheProgramsInput() async throws {
        let path = "/tmp/burrow-streaming-input-\(BurrowRecord.newID())"
        try FileSystem.writeAtomically(Array("one\ntwo\n".utf8), to: path)
        defer { FileSystem.remove(path) }
        var received: [UInt8] = []
        try await Subprocess.streamingOutput(["tr", "a-z", "A-Z"], input: path) { output in
            while try await output.read(into: &received) > 0 {}
        }
        XCTAssertEqual(String(decoding: received, as: UTF8.self), "ONE\nTWO\n")
    }

    func testAReaderThatGivesUpEndsTheProgram() async throws {
        struct GaveUp: Error {}
        let started = Monotonic.now()
        do {
            try await Subprocess.streamingOutput(["sh", "-c", "yes; sleep 60"]) { output in
                var buffer: [UInt8] = []
                _ = try await output.read(into: &buffer)
                throw GaveUp()
            }
            XCTFail("the reader's error must come back")
        } catch is GaveUp {}
        XCTAssertLessThan(Double(Monotonic.now() - started) / 1e9, 10, "the program was ended, not waited for")
    }
}
