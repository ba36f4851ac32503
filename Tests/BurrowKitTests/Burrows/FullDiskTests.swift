@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import Foundation
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// A full state dir: launches are refused with a clear error and nothing recorded is touched.
final class FullDiskTests: XCTestCase {
    func testALaunchOnAFullStateDirIsRefusedAndChangesNothing() async throws {
        guard getuid() == 0 else { throw XCTSkip("needs root to mount a small tmpfs as the state dir") }
        let mountPoint = try TemporaryDirectory.make("burrow-full")
        try await Subprocess.check(["mount", "-t", "tmpfs", "-o", "size=80m,mode=0711", "tmpfs", mountPoint])
        defer { _ = try? Subprocess.runBlocking(["umount", "-l", mountPoint]) }
        // The floor (64 MiB) is what this test fills past, whatever limits.minFreeDisk would ask.
        let app = try await BurrowTestApp(stateDir: mountPoint) { $0.limits.minFreeDisk = "1m" }
        let first = try await app.launch("before the disk fills")
        _ = try await app.readStream(first.id)
        let folder = mountPoint + "/burrows/\(first.id)"
        let recordBefore = try FileSystem.readFile(folder + "/record.json")
        let eventsBefore = try FileSystem.readFile(folder + "/events.ndjson")
        // Fill it, leaving 512 KiB.
        let free = try XCTUnwrap(FileSystem.freeBytes(mountPoint))
        let filler = try AppendOnlyFile(path: mountPoint + "/filler")
        let block = [UInt8](repeating: 0x46, count: 1 << 20)
        var left = free - 512 * 1024
        while left > 0 {
            try filler.append(Array(block.prefix(Int(min(left, Int64(block.count))))))
            left -= Int64(block.count)
        }
        filler.close()
        let refused = try await app.server.request("POST", "/api/burrows", headers: ["Content-Type": "application/json"],
                                                   body: #"{"repo": "demo", "task": "after the disk filled"}"#)
        XCTAssertEqual(refused.status, 507, refused.text)
        XCTAssertTrue(refused.text.contains("free"), refused.text)
        XCTAssertEqual(FileSystem.listDirectory(mountPoint + "/burrows"), [first.id], "no record was started")
        XCTAssertEqual(try FileSystem.readFile(folder + "/record.json"), recordBefore)
        XCTAssertEqual(try FileSystem.readFile(folder + "/events.ndjson"), eventsBefore)
        let history = try await app.server.request("GET", "/api/burrows/\(first.id)/history")
        XCTAssertEqual(history.status, 200, "what is recorded is still served")
        await app.cleanUp()
    }
}

extension Subprocess {
    /// For a `defer`: waits on a thread, not a task.
    static func runBlocking(_ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
