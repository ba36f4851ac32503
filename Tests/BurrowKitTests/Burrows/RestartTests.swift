@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import Foundation
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// Burrow killed with SIGKILL while an agent runs, then started again: the burrow finishes normally
/// and its event log holds every line the container printed, exactly once.
final class RestartTests: XCTestCase {
    static func startBurrow(config: String, log: String) throws -> (Process, UInt16) {
        let binary = #filePath.components(separatedBy: "/Tests/")[0] + "/.build/debug/burrow"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--config", config]
        process.environment = ProcessInfo.processInfo.environment.merging(["BURROW_TOKEN": "restart-token"]) { $1 }
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").last(where: { $0.hasPrefix("open http://127.0.0.1:") }),
               let port = UInt16(line.dropFirst("open http://127.0.0.1:".count).prefix { $0.isNumber }) {
                return (process, port)
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        process.terminate()
        throw TimedOut(seconds: 20)
    }

    func testKilledMidRunResumesWithoutLosingOrDuplicatingEvents() async throws {
        _ = try await PodmanTestEnvironment.client()
        let repo = try await BurrowTestApp.makeRepo()
        let state = try TemporaryDirectory.make("burrow-restart")
        // Podman's user reads the seccomp profile under the state dir: its parents must be traversable.
        FileSystem.setMode(state, 0o711)
        let configPath = state + "/burrow.json"
        let config = """
            {"listen": "127.0.0.1:0", "stateDir": "\(state)/state", "podmanSocket": "\(PodmanTestEnvironment.socket!)",
             "image": "\(PodmanTestEnvironment.image)", "network": "none", "caches": [],
             "repos": [{"name": "demo", "path": "\(repo)"}]}
            """
        try FileSystem.writeAtomically(Array(config.utf8), to: configPath)
        var (process, port) = try Self.startBurrow(config: configPath, log: state + "/serve.log")
        let client = try await RawClient(port: port)
        let body = #"{"repo":"demo","task":"resume LINES=30 SLEEP=4"}"#
        try await client.send("POST /api/burrows HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAuthorization: Bearer restart-token\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        let created = try await client.response()
        client.close()
        XCTAssertEqual(created.status, 201, created.text)
        let record = try JSONDecoder().decode(BurrowRecord.self, from: Data(created.body))
        let eventsPath = "\(state)/state/burrows/\(record.id)/events.ndjson"
        // Kill it once the agent's first lines are on disk, while the agent still sleeps.
        try await withTimeout(30) {
            while !((try? String(contentsOfFile: eventsPath, encoding: .utf8)) ?? "").contains("\"text\":\"line 10\"") {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try await Task.sleep(for: .seconds(5))  // the agent finishes while Burrow is down
        (process, port) = try Self.startBurrow(config: configPath, log: state + "/serve.log")
        defer { process.terminate() }
        let text = try await withTimeout(60) { () async throws -> String in
            while true {
                let text = (try? String(contentsOfFile: eventsPath, encoding: .utf8)) ?? ""
                if text.contains("\"kind\":\"end\"") { return text }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        let lines = text.split(separator: "\n")
        let sequences = lines.compactMap { BurrowEvents.parse($0)?.sequence }
        XCTAssertEqual(sequences, Array(1...lines.count), "no gap, no duplicate sequence")
        for index in 1...30 {
            XCTAssertEqual(lines.filter { $0.contains("\"text\":\"line \(index)\"") }.count, 1, "line \(index) exactly once")
        }
        XCTAssertEqual(lines.filter { $0.contains("\"type\":\"result\"") }.count, 1, "the result printed while Burrow was down arrived once")
        XCTAssertEqual(lines.filter { $0.contains("\"subtype\":\"init\"") }.count, 1)
        let finalRecord = try JSONDecoder().decode(BurrowRecord.self, from: Data(try FileSystem.readFile("\(state)/state/burrows/\(record.id)/record.json")))
        XCTAssertEqual(finalRecord.state, .succeeded)
        XCTAssertNotNil(finalRecord.sessionID, "the session id printed before the kill is in the record")
        XCTAssertEqual(finalRecord.agentReportedCostUSD, 0.0123)
        XCTAssertEqual(finalRecord.branch, "burrow/\(record.id)")
        let podman = try await PodmanTestEnvironment.client()
        try await podman.remove(finalRecord.container)
        try await podman.removeVolume(finalRecord.workspaceVolume, force: true)
        // Its config volume too: left behind, it would hold the burrow's id range for later tests.
        try await podman.removeVolume(finalRecord.configVolume, force: true)
    }
}
