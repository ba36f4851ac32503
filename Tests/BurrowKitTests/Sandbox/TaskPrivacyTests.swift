@testable import BurrowKit
@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman
import Foundation
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// Another local user reads every process's arguments (`ps`): the task must not be among them.
final class TaskPrivacyTests: XCTestCase {
    func testTheTaskReachesTheAgentOnStdinAndIsInNoProcessArguments() async throws {
        let app = try await BurrowTestApp()
        addTeardownBlock { await app.cleanUp() }
        let secret = "SECRET-\(BurrowRecord.newID())"
        let record = try await app.launch("\(secret) SLEEP=4")
        try await withTimeout(30) {
            while try await app.record(record.id).state != .running { try await Task.sleep(for: .milliseconds(50)) }
        }
        try await Task.sleep(for: .milliseconds(500))
        var sawContainer = false
        var leaks: [String] = []
        for pid in FileSystem.listDirectory("/proc") where pid.allSatisfy(\.isNumber) {
            guard let bytes = try? FileSystem.readFile("/proc/\(pid)/cmdline", limit: 1 << 20) else { continue }
            let arguments = String(decoding: bytes.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
            if arguments.contains(record.container) || arguments.contains("burrow-forwarder") { sawContainer = true }
            if arguments.contains(secret) { leaks.append("\(pid): \(arguments.prefix(200))") }
        }
        XCTAssertTrue(sawContainer, "the scan saw the burrow's processes (conmon, the forwarder)")
        XCTAssertEqual(leaks, [], "the task is in a process's arguments")
        let finished = try await app.finished(record.id, within: 60)
        XCTAssertEqual(finished.state, .succeeded, finished.error ?? "")
        XCTAssertTrue(finished.result?.contains(secret) == true, "the agent got its task: \(finished.result ?? "no result")")
    }
}
