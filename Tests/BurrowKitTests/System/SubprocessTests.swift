@testable import BurrowKit
@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman
import Glibc
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// Children start clean (default signals, empty mask) and end when their task is cancelled or their
/// timeout passes: SIGTERM, then SIGKILL after the grace period, and always reaped.
final class SubprocessTests: XCTestCase {
    /// /proc/self/status of a child, read while this process ignores SIGTERM, SIGINT and SIGPIPE.
    func testChildStartsWithDefaultSignalsAndEmptyMask() async throws {
        let previous = [SIGTERM, SIGINT, SIGPIPE].map { ($0, signal($0, SIG_IGN)) }
        defer { for (number, handler) in previous { signal(number, handler) } }
        let status = try await Subprocess.check(["cat", "/proc/self/status"]).stdout
        func mask(_ field: String) throws -> UInt64 {
            let line = try XCTUnwrap(status.split(separator: "\n").first { $0.hasPrefix(field + ":") }, "no \(field) in \(status)")
            return try XCTUnwrap(UInt64(line.dropFirst(field.count + 1).trimmingCharacters(in: .whitespaces), radix: 16))
        }
        let ignored = try mask("SigIgn")
        XCTAssertEqual(ignored & (1 << (UInt64(SIGTERM) - 1)), 0, "the child inherited SIG_IGN for SIGTERM (SigIgn \(ignored))")
        // Signals 32 and 33 are glibc's own (thread cancellation, setxid): spawn cannot reset those.
        XCTAssertEqual(ignored & 0x7FFF_FFFF, 0, "the child ignores signals: SigIgn \(String(ignored, radix: 16))")
        XCTAssertEqual(try mask("SigBlk"), 0)
    }

    /// The probe is real: `sh` reports its own pid, and that pid is gone (reaped) after the cancel.
    func testCancellingTheTaskEndsTheChildWithinTheGrace() async throws {
        let directory = try TemporaryDirectory.make("burrow-sub")
        defer { FileSystem.removeTree(directory) }
        let task = Task {
            try await Subprocess.run(["sh", "-c", "echo $$ > \(directory)/pid; exec sleep 1000"], grace: .seconds(5))
        }
        let pid = try await childPid(directory)
        XCTAssertTrue(FileSystem.exists("/proc/\(pid)"), "the child is not running")
        let started = Monotonic.now()
        task.cancel()
        do {
            _ = try await task.value
            XCTFail("a cancelled run returned a result")
        } catch is CancellationError {}
        let seconds = Double(Monotonic.now() - started) / 1e9
        XCTAssertLessThan(seconds, 2, "SIGTERM should end `sleep` at once, well within the 5 s grace")
        XCTAssertFalse(FileSystem.exists("/proc/\(pid)"), "the child is still there (or a zombie)")
    }

    func testAChildThatIgnoresSIGTERMIsKilledAfterTheGrace() async throws {
        let directory = try TemporaryDirectory.make("burrow-sub")
        defer { FileSystem.removeTree(directory) }
        let started = Monotonic.now()
        let task = Task {
            try await Subprocess.run(["sh", "-c", "trap '' TERM; echo $$ > \(directory)/pid; while :; do sleep 0.05; done"],
                                     timeout: .milliseconds(500), grace: .milliseconds(500))
        }
        let pid = try await childPid(directory)
        do {
            _ = try await task.value
            XCTFail("a hung child ended on its own")
        } catch let error as Subprocess.TimedOut {
            XCTAssertTrue(error.description.contains("did not finish"), error.description)
        }
        let seconds = Double(Monotonic.now() - started) / 1e9
        XCTAssertGreaterThan(seconds, 0.9, "SIGKILL came before the grace period")
        XCTAssertLessThan(seconds, 5)
        XCTAssertFalse(FileSystem.exists("/proc/\(pid)"), "the child is still there (or a zombie)")
    }

    func testOutputAndStatusStillCome() async throws {
        let result = try await Subprocess.run(["sh", "-c", "echo out; echo err >&2; exit 3"], timeout: .seconds(10))
        XCTAssertEqual(result.status, 3)
        XCTAssertEqual(result.stdout, "out\n")
        XCTAssertEqual(result.stderr, "err\n")
    }

    func childPid(_ directory: String) async throws -> Int32 {
        for _ in 0..<200 {
            if let bytes = try? FileSystem.readFile(directory + "/pid"), let pid = Int32(String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) {
                return pid
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TimedOut(seconds: 4)
    }
}
