@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import Foundation
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// End to end against the real rootless Podman with the stand-in agent image.
final class BurrowLifecycleTests: XCTestCase {
    func testLaunchToSucceededSeenByTwoClientsInOrderThenReplayed() async throws {
        let app = try await BurrowTestApp()
        let record = try await app.launch("make a change LINES=20 TEXT=multi\\nline <b>&amp;")
        async let first = app.readStream(record.id)
        async let second = app.readStream(record.id)
        let (a, b) = try await (first, second)
        XCTAssertEqual(a, b, "both clients get the same events")
        XCTAssertEqual(a.map(\.id), Array(1...a.count), "every event, in order, exactly once")
        XCTAssertEqual(a.last?.kind, "end")
        let agent = a.filter { $0.kind == "agent" }.map(\.data)
        XCTAssertTrue(agent.first?.contains("\"subtype\":\"init\"") ?? false)
        XCTAssertTrue(agent.contains { $0.contains("ünïcødé ✓") })
        XCTAssertTrue(agent.contains { $0.contains("\"tool_use\"") && $0.contains("\"Bash\"") })
        XCTAssertTrue(agent.contains { $0.contains("\"type\":\"result\"") })
        XCTAssertEqual(agent.filter { $0.contains("\"text\":\"line ") }.count, 20)
        XCTAssertTrue(a.contains { $0.kind == "log" && $0.data.contains("\"stream\":\"stderr\"") && $0.data.contains("stand-in agent starting") })
        let finished = try await app.finished(record.id)
        XCTAssertEqual(finished.state, .succeeded)
        XCTAssertEqual(finished.exitCode, 0)
        XCTAssertEqual(finished.agentReportedCostUSD, 0.0123)
        XCTAssertNil(finished.costUSD, "nothing went through the model endpoint: the agent's figure is only its claim")
        XCTAssertEqual(finished.turns, 3)
        XCTAssertNotNil(finished.sessionID)
        // Reconnecting with Last-Event-ID gets exactly what came after it.
        let resumed = try await app.readStream(record.id, lastEventID: 7)
        XCTAssertEqual(resumed, Array(a.dropFirst(7)))
        // The events file holds the same sequence.
        let lines = try String(contentsOfFile: app.stateDir + "/burrows/\(record.id)/events.ndjson", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, a.count)
        let history = try await app.server.request("GET", "/api/burrows/\(record.id)/history")
        XCTAssertEqual(history.headers["Content-Type"], "application/x-ndjson")
        XCTAssertEqual(history.text.split(separator: "\n").compactMap { BurrowEvents.parse($0)?.sequence }, a.map(\.id))
        await app.cleanUp()
    }

    func testFastExitingFloodArrivesWholeAndInOrder() async throws {
        let app = try await BurrowTestApp()
        let record = try await app.launch("flood then exit LINES=3000")
        let events = try await app.readStream(record.id)
        let numbered = events.filter { $0.kind == "agent" }.compactMap { event -> Int? in
            guard let range = event.data.range(of: "\"text\":\"line ") else { return nil }
            return Int(event.data[range.upperBound...].prefix { $0.isNumber })
        }
        XCTAssertEqual(numbered, Array(1...3000), "every line once, in the order printed")
        XCTAssertEqual(events.filter { $0.kind == "agent" && $0.data.contains("\"type\":\"result\"") }.count, 1)
        let finished = try await app.finished(record.id)
        XCTAssertEqual(finished.state, .succeeded)
        await app.cleanUp()
    }

    func testWorkComesHomeAsBranchAndDiffWithoutTouchingTheWorkingTree() async throws {
        let app = try await BurrowTestApp()
        try FileSystem.writeAtomically(Array("user's own edit\n".utf8), to: app.repoPath + "/WIP.txt")
        let record = try await app.launch("edit things")
        let finished = try await app.finished(record.id)
        XCTAssertEqual(finished.branch, "burrow/\(record.id)")
        let log = try await Subprocess.check(["git", "-C", app.repoPath, "log", "--format=%s", "burrow/\(record.id)"]).stdout
        XCTAssertEqual(log.split(separator: "\n").first.map(String.init), "edit things", "the commit Burrow makes is named by the task")
        XCTAssertTrue(log.contains("stand-in agent: add AGENT_CHANGE.md"), "the agent's own commit is kept")
        let files = try await Subprocess.check(["git", "-C", app.repoPath, "show", "--name-only", "--format=", "burrow/\(record.id)"]).stdout
        XCTAssertTrue(files.contains("UNCOMMITTED.txt"))
        let diff = try await app.server.request("GET", "/api/burrows/\(record.id)/diff")
        XCTAssertEqual(diff.status, 200)
        XCTAssertTrue(diff.text.contains("+++ b/AGENT_CHANGE.md"))
        XCTAssertTrue(diff.text.contains("+edited"))
        // The user's checkout: same branch, same files, their uncommitted file untouched.
        let branch = try await Subprocess.check(["git", "-C", app.repoPath, "rev-parse", "--abbrev-ref", "HEAD"]).stdout
        XCTAssertEqual(branch, "main\n")
        XCTAssertEqual(try String(contentsOfFile: app.repoPath + "/README.md", encoding: .utf8), "# demo\n")
        XCTAssertFalse(FileSystem.exists(app.repoPath + "/AGENT_CHANGE.md"))
        let status = try await Subprocess.check(["git", "-C", app.repoPath, "status", "--porcelain"]).stdout
        XCTAssertEqual(status, "?? WIP.txt\n")
        await app.cleanUp()
    }

    func testFailureKeepsExitCodeAndStderr() async throws {
        let app = try await BurrowTestApp()
        let record = try await app.launch("break EXIT=3")
        let finished = try await app.finished(record.id)
        XCTAssertEqual(finished.state, .failed)
        XCTAssertEqual(finished.exitCode, 3)
        let events = try await app.readStream(record.id)
        XCTAssertTrue(events.contains { $0.kind == "log" && $0.data.contains("failing with exit code 3") })
        await app.cleanUp()
    }

    /// An agent killed by a signal Burrow did not send is named so, with its exit status.
    func testAnAgentKilledFromOutsideSaysSo() async throws {
        let attack = try await AttackBurrow.make(self)
        let finished = try await attack.run("echo started; kill -KILL $$")
        XCTAssertEqual(finished.state, .failed)
        XCTAssertEqual(finished.exitCode, 137)
        XCTAssertTrue(finished.error?.contains("ended by signal 9 (exit code 137) that Burrow did not send") == true, finished.error ?? "no error")
    }

    func testBadLaunchRequestsChangeNothing() async throws {
        let app = try await BurrowTestApp()
        let unknown = try await app.server.request("POST", "/api/burrows", body: #"{"repo":"nope","task":"x"}"#)
        XCTAssertEqual(unknown.status, 400)
        XCTAssertTrue(unknown.text.contains("unknown repo"))
        let empty = try await app.server.request("POST", "/api/burrows", body: #"{"repo":"demo","task":"  "}"#)
        XCTAssertEqual(empty.status, 400)
        let huge = try await app.server.request("POST", "/api/burrows", body: #"{"repo":"demo","task":""# + String(repeating: "a", count: 101 * 1024) + #""}"#)
        XCTAssertEqual(huge.status, 400)
        let malformed = try await app.server.request("POST", "/api/burrows", body: "{not json")
        XCTAssertEqual(malformed.status, 400)
        let none = await app.manager.list()
        XCTAssertTrue(none.isEmpty)
        let missing = try await app.server.request("GET", "/api/burrows/000000000000")
        XCTAssertEqual(missing.status, 404)
        await app.cleanUp()
    }

    func testStopBringsPartialWorkHome() async throws {
        let app = try await BurrowTestApp()
        let record = try await app.launch("long job WRITE_CACHE=/workspace/PARTIAL.txt SLEEP=60")
        try await withTimeout(30) {
            while try await app.record(record.id).state != .running { try await Task.sleep(for: .milliseconds(100)) }
        }
        try await Task.sleep(for: .seconds(1))  // the agent has written its partial work by now
        let stop = try await app.server.request("POST", "/api/burrows/\(record.id)/stop")
        XCTAssertEqual(stop.status, 200)
        let finished = try await app.finished(record.id, within: 40)
        XCTAssertEqual(finished.state, .stopped)
        XCTAssertEqual(finished.branch, "burrow/\(record.id)")
        let files = try await Subprocess.check(["git", "-C", app.repoPath, "show", "--name-only", "--format=", "burrow/\(record.id)"]).stdout
        XCTAssertTrue(files.contains("PARTIAL.txt"), "the work done before the stop came home: \(files)")
        await app.cleanUp()
    }

    func testTeardownRemovesContainerAndWorkspaceButCachesSurviveAndAreShared() async throws {
        let app = try await BurrowTestApp()
        let podman = app.manager.podman
        let writer = try await app.launch("write WRITE_CACHE=/home/agent/.cache/burrow-test/shared")
        _ = try await app.finished(writer.id)
        let running = try await app.server.request("DELETE", "/api/burrows/\(writer.id)")
        XCTAssertEqual(running.status, 204)
        let containers = try await podman.listContainers(label: "io.burrow.id=\(writer.id)")
        XCTAssertTrue(containers.isEmpty)
        let workspace = try await podman.volumeExists(writer.workspaceVolume)
        XCTAssertFalse(workspace)
        let cache = try await podman.volumeExists(app.cacheVolume())
        XCTAssertTrue(cache)
        let kept = try await app.server.request("GET", "/api/burrows/\(writer.id)")
        XCTAssertEqual(kept.status, 200, "the record is kept after teardown")
        XCTAssertTrue(kept.text.contains("\"tornDown\":true"))
        let reader = try await app.launch("read READ_CACHE=/home/agent/.cache/burrow-test/shared")
        _ = try await app.finished(reader.id)
        let events = try await app.readStream(reader.id)
        XCTAssertTrue(events.contains { $0.data.contains("cache says: cached by write") }, "the second burrow sees the first one's cache: \(events.map(\.data).joined(separator: "\n").suffix(3000))")
        let purge = try await app.server.request("DELETE", "/api/burrows/\(reader.id)?purge=true")
        XCTAssertEqual(purge.status, 204)
        let gone = try await app.server.request("GET", "/api/burrows/\(reader.id)")
        XCTAssertEqual(gone.status, 404)
        XCTAssertFalse(FileSystem.exists(app.stateDir + "/burrows/\(reader.id)"))
        await app.cleanUp()
    }

    func testGPURequestReachesTheContainerThroughCDI() async throws {
        try PodmanTestEnvironment.requireTestCDISpec()
        let app = try await BurrowTestApp()
        let body = #"{"repo":"demo","task":"gpu READ_CACHE=/dev/nvidia0","gpu":true}"#
        let response = try await app.server.request("POST", "/api/burrows", body: body)
        XCTAssertEqual(response.status, 201)
        let record = try JSONDecoder().decode(BurrowRecord.self, from: Data(response.body))
        let finished = try await app.finished(record.id)
        XCTAssertEqual(finished.state, .succeeded)
        let inspected = try await app.manager.podman.inspectContainer(record.container)
        XCTAssertTrue(inspected.config?.env?.contains("BURROW_TEST_GPU=injected-by-cdi") ?? false)
        await app.cleanUp()
    }

    func testMoreLaunchesThanMaxConcurrentQueueAndAllFinish() async throws {
        let app = try await BurrowTestApp(maxConcurrent: 4)
        var ids: [String] = []
        for index in 0..<8 { ids.append(try await app.launch("job \(index) SLEEP=1").id) }
        let states = await app.manager.list().map(\.state)
        XCTAssertTrue(states.contains(.queued), "launches beyond maxConcurrent wait, visibly")
        for id in ids {
            let finished = try await app.finished(id, within: 120)
            XCTAssertEqual(finished.state, .succeeded, finished.error ?? "")
        }
        await app.cleanUp()
    }
}

/// Output no agent should print, printed anyway: every byte is kept, nothing breaks.
final class HostileOutputTests: XCTestCase {
    func testHugeLinesInvalidUTF8NULsEscapesAndAlmostJSONAreKeptAsText() async throws {
        let script = #"""
        head -c 10485760 /dev/zero | tr '\0' 'a'; echo
        printf 'bad \377\376 utf8\n'
        printf 'nul\000byte\n'
        printf '\033[31mred\033[0m \033]0;title\007\n'
        echo '{"type":"assistant","message":{"content":[}'
        echo '{"type":"assistant","message":{"content":[1,]}}'
        printf '{"type":"assistant","message":"\377"}\n'
        echo '{"type":"result","total_cost_usd":0.5,"session_id":"s1"}'
        printf 'no newline at the end'
        """#
        let app = try await BurrowTestApp { config in
            config.agentCommand = ["sh", "-c", script, "sh"]
            config.taskInput = .argument
        }
        let record = try await app.launch("hostile")
        // Generous: under the sanitizers, 10 MiB through the line assembler takes a while.
        let events = try await app.readStream(record.id, within: 300)
        let finished = try await app.finished(record.id)
        XCTAssertEqual(finished.state, .succeeded)
        let logs = events.filter { $0.kind == "log" }.compactMap { try? JSONDecoder().decode(OutputEvent.LogLine.self, from: Data($0.data.utf8)) }
        // 10 MiB in one line: cut into 1 MiB pieces, every byte kept.
        let big = logs.filter { $0.text.first == "a" && $0.text.allSatisfy { $0 == "a" } }
        XCTAssertEqual(big.map(\.text.utf8.count).reduce(0, +), 10 << 20)
        XCTAssertEqual(big.count, 10)
        let bad = try XCTUnwrap(logs.first { $0.text.hasPrefix("bad ") })
        XCTAssertEqual(bad.textBase64.flatMap { Data(base64Encoded: $0) }.map { Array($0) }, Array("bad ".utf8) + [0xFF, 0xFE] + Array(" utf8".utf8))
        XCTAssertTrue(logs.contains { $0.text == "nul\u{0}byte" })
        XCTAssertTrue(logs.contains { $0.text == "\u{1B}[31mred\u{1B}[0m \u{1B}]0;title\u{07}" }, "escapes stay text")
        XCTAssertTrue(logs.contains { $0.text == #"{"type":"assistant","message":{"content":[}"# }, "almost JSON is a plain line")
        // JSON by a lenient reader (JSONDecoder took both) but not by the browser's: plain lines too.
        XCTAssertTrue(logs.contains { $0.text == #"{"type":"assistant","message":{"content":[1,]}}"# }, "a trailing comma is a plain line")
        XCTAssertTrue(logs.contains { $0.textBase64.flatMap { Data(base64Encoded: $0) } == Data(#"{"type":"assistant","message":""#.utf8 + [0xFF] + #""}"#.utf8) },
                      "invalid UTF-8 in a string is a plain line, its bytes kept")
        XCTAssertEqual(finished.agentReportedCostUSD, 0.5, "a real result line still counts (as the agent's claim)")
        XCTAssertTrue(logs.contains { $0.text == "no newline at the end" })
        // Every event on disk is one line of strict JSON (the browser parses each).
        let lines = try String(contentsOfFile: app.stateDir + "/burrows/\(record.id)/events.ndjson", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, events.count)
        for line in lines { XCTAssertNotNil(StrictJSON.members(of: Array(line.utf8), keys: StrictJSON.Keys(["seq"])), String(line.prefix(200))) }
        await app.cleanUp()
    }
}
