@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman
@testable import BurrowKit
import Foundation
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// `burrow run|ls|logs|stop|teardown|open` run as subprocesses against a real `burrow serve` (the
/// built binary) over the test Podman. The client finds the server and its token through `--config`.
final class ClientCommandBinaryTests: XCTestCase {
    static let binary = #filePath.components(separatedBy: "/Tests/")[0] + "/.build/debug/burrow"

    struct Served: @unchecked Sendable {  // Process: only terminated and awaited
        let process: Process
        let config: String
        let state: String
    }

    func serve(agentShell: Bool = false, podman: Bool = true) async throws -> Served {
        try await Self.serve(for: self, agentShell: agentShell, podman: podman)
    }

    /// A server on a free port whose token is in its state dir, stopped and cleaned up when `test`
    /// ends; `agentShell`: the agent is `sh -c TASK`; `extra`: more top-level config fields.
    static func serve(for test: XCTestCase, agentShell: Bool = false, podman: Bool = true, extra: String = "",
                      network: String = #""none""#) async throws -> Served {
        let socket = podman ? try await { _ = try await PodmanTestEnvironment.client(); return PodmanTestEnvironment.socket! }() : "/nonexistent/podman.sock"
        let repo = try await BurrowTestApp.makeRepo()
        let root = try TemporaryDirectory.make("burrow-client")
        FileSystem.setMode(root, 0o711)
        let port = try freePort()
        let shell = agentShell ? #", "agentCommand": ["sh", "-c"], "taskInput": "argument""# : ""
        let config = """
            {"listen": "127.0.0.1:\(port)", "stateDir": "\(root)/state", "podmanSocket": "\(socket)",
             "image": "\(PodmanTestEnvironment.image)", "network": \(network), "caches": [],
             "repos": [{"name": "demo", "path": "\(repo)"}]\(shell)\(extra)}
            """
        try FileSystem.writeAtomically(Array(config.utf8), to: root + "/burrow.json")
        // The server takes BURROW_TOKEN; the client finds the same token in the state dir.
        try FileSystem.createDirectories(root + "/state", mode: 0o711)
        try FileSystem.writeAtomically(Array("restart-token\n".utf8), to: root + "/state/token", mode: 0o600)
        let (process, _) = try RestartTests.startBurrow(config: root + "/burrow.json", log: root + "/serve.log")
        let served = Served(process: process, config: root + "/burrow.json", state: root + "/state")
        test.addTeardownBlock {
            // The server ends first: while it runs, a turn's way home or a range's preparation may
            // create a container on a volume just removed, and Podman re-makes the volume unlabelled.
            process.terminate()
            process.waitUntilExit()
            await Self.removeBurrows(served, podman: podman)
            FileSystem.removeTree(root)
            FileSystem.removeTree(repo)
        }
        return served
    }

    func burrow(_ arguments: [String], _ served: Served?, token: String = "") async throws -> Subprocess.Result {
        try await Self.burrow(arguments, served, token: token)
    }

    static func burrow(_ arguments: [String], _ served: Served?, token: String = "") async throws -> Subprocess.Result {
        let config = served.map { ["--config", $0.config] } ?? []
        return try await Subprocess.run([binary] + arguments + config, environment: ["BURROW_TOKEN": token], timeout: .seconds(120))
    }

    func testRunWaitJSONPrintsTheRecordThenListLogsAndTeardownWork() async throws {
        let served = try await serve()
        let run = try await burrow(["run", "demo", "TEXT=hello from the client", "--wait", "--json"], served)
        XCTAssertEqual(run.status, 0, run.stderr)
        let record = try JSONDecoder().decode(BurrowRecord.self, from: Data(run.stdout.utf8))
        XCTAssertEqual(record.state, .succeeded)
        XCTAssertEqual(record.repo, "demo")
        XCTAssertEqual(run.stdout.split(separator: "\n").count, 1, "one JSON line: \(run.stdout)")

        let list = try await burrow(["ls", "--json"], served)
        XCTAssertEqual(list.status, 0, list.stderr)
        let records = try JSONDecoder().decode([BurrowRecord].self, from: Data(list.stdout.utf8))
        XCTAssertEqual(records.map(\.id), [record.id])
        let table = try await burrow(["ls"], served)
        XCTAssertTrue(table.stdout.contains(record.id) && table.stdout.contains("succeeded"), table.stdout)

        let logs = try await burrow(["logs", record.id], served)
        XCTAssertEqual(logs.status, 0, logs.stderr)
        XCTAssertTrue(logs.stdout.contains("hello from the client"), logs.stdout)
        XCTAssertTrue(logs.stdout.contains("stand-in agent starting"), "the container's stderr too: \(logs.stdout)")
        XCTAssertTrue(logs.stdout.contains("[end] succeeded"), logs.stdout)
        let followed = try await burrow(["logs", "-f", "--json", record.id], served)
        let lines = followed.stdout.split(separator: "\n")
        XCTAssertGreaterThan(lines.count, 3)
        for line in lines { XCTAssertNoThrow(try JSONDecoder().decode(JSONValue.self, from: Data(line.utf8)), String(line)) }
        XCTAssertTrue(lines.last?.contains(#""kind":"end""#) == true, "followed to the end: \(lines.last ?? "")")

        let open = try await burrow(["open", record.id], served)
        XCTAssertEqual(open.status, 0, open.stderr)
        XCTAssertTrue(open.stdout.hasSuffix("/#/burrows/\(record.id)\n"), open.stdout)
        XCTAssertFalse(open.stdout.contains("restart-token"), "the token never goes into a URL")

        let teardown = try await burrow(["teardown", record.id], served)
        XCTAssertEqual(teardown.status, 0, teardown.stderr)
        let after = try await burrow(["ls", "--json"], served)
        XCTAssertEqual(try JSONDecoder().decode([BurrowRecord].self, from: Data(after.stdout.utf8)).first?.tornDown, true)
        let unknown = try await burrow(["stop", "nosuchburrow"], served)
        XCTAssertEqual(unknown.status, ClientExit.error, unknown.stderr)
        XCTAssertTrue(unknown.stderr.contains("nosuchburrow"), unknown.stderr)
    }

    func testFailingAgentGivesTheFailedExitStatus() async throws {
        let served = try await serve()
        let run = try await burrow(["run", "demo", "EXIT=3", "--wait"], served)
        XCTAssertEqual(run.status, ClientExit.failed, "\(run.stdout) \(run.stderr)")
        XCTAssertTrue(run.stdout.contains("failed"), run.stdout)
    }

    func testAttemptsRunAGroupAndTheExitStatusSaysWhetherOneSucceeded() async throws {
        let served = try await serve(agentShell: true)
        let passing = try await burrow(["run", "demo", "echo attempt > /workspace/A.txt", "--attempts", "2", "--follow"], served)
        XCTAssertEqual(passing.status, ClientExit.ok, "\(passing.stdout) \(passing.stderr)")
        XCTAssertTrue(passing.stderr.contains("launched group g"), passing.stderr)
        let lines = passing.stdout.split(separator: "\n")
        XCTAssertEqual(lines.filter { $0.hasPrefix("attempt 1 ") && $0.hasSuffix(" succeeded") }.count, 2, passing.stdout)  // followed, then the summary
        XCTAssertTrue(lines.contains { $0.hasPrefix("attempt 2 ") && $0.hasSuffix(" succeeded") }, passing.stdout)
        let failing = try await burrow(["run", "demo", "exit 3", "--attempts", "2", "--wait", "--json"], served)
        XCTAssertEqual(failing.status, ClientExit.failed, "\(failing.stdout) \(failing.stderr)")
        let group = try JSONSerialization.jsonObject(with: Data(failing.stdout.utf8)) as? [String: Any]
        XCTAssertEqual((group?["attempts"] as? [[String: Any]])?.compactMap { $0["state"] as? String }, ["failed", "failed"], failing.stdout)
        let launchedOnly = try await burrow(["run", "demo", "true", "--attempts", "3"], served)
        XCTAssertEqual(launchedOnly.status, ClientExit.ok, launchedOnly.stderr)
        XCTAssertTrue(launchedOnly.stdout.hasPrefix("group g") && launchedOnly.stdout.contains("attempt 3 "), launchedOnly.stdout)
    }

    func testStopEndsARunningBurrowWithTheStoppedStatus() async throws {
        let served = try await serve()
        let launched = try await burrow(["run", "demo", "SLEEP=60", "--json"], served)
        XCTAssertEqual(launched.status, 0, launched.stderr)
        let id = try JSONDecoder().decode(BurrowRecord.self, from: Data(launched.stdout.utf8)).id
        // Wait until it runs, then stop it; `logs -f` returns once it has ended.
        let state = try await withTimeout(180) { () async throws -> BurrowRecord.State in
            while true {
                let records = try JSONDecoder().decode([BurrowRecord].self, from: Data(try await Self.burrow(["ls", "--json"], served).stdout.utf8))
                if let state = records.first?.state, state != .queued && state != .preparing { return state }
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        XCTAssertEqual(state, .running)
        let stop = try await burrow(["stop", id], served)
        XCTAssertEqual(stop.status, 0, stop.stderr)
        let followed = try await burrow(["logs", "-f", id], served)
        XCTAssertTrue(followed.stdout.contains("[end] stopped"), followed.stdout)
        let teardown = try await burrow(["teardown", id], served)
        XCTAssertEqual(teardown.status, 0, teardown.stderr)
    }

    func testNoServerAndAWrongTokenAreClearErrors() async throws {
        let served = try await serve(podman: false)
        let wrong = try await burrow(["ls"], served, token: "not-the-token")
        XCTAssertEqual(wrong.status, ClientExit.unauthorized, wrong.stderr)
        XCTAssertTrue(wrong.stderr.contains("refused the access token"), wrong.stderr)
        let right = try await burrow(["ls"], served)
        XCTAssertEqual(right.status, 0, "the probe: the state dir's token works: \(right.stderr)")
        served.process.terminate()
        served.process.waitUntilExit()
        let none = try await burrow(["ls"], served)
        XCTAssertEqual(none.status, ClientExit.notReachable, none.stderr)
        XCTAssertTrue(none.stderr.contains("burrow serve"), none.stderr)
        let noToken = try await burrow(["ls", "--server", "http://127.0.0.1:9"], nil)
        XCTAssertTrue([ClientExit.unauthorized, ClientExit.notReachable].contains(noToken.status), noToken.stderr)
    }

    /// The agent is the attacker: it prints terminal escapes (clear screen, window title, a fake
    /// prompt after a carriage return) on its output and in its result. The client prints them as
    /// visible symbols, never as control bytes.
    func testAgentOutputCannotDriveTheTerminal() async throws {
        let served = try await serve(agentShell: true)
        let attack = #"printf 'evil\033]0;pwned\007\033[2J\rprompt$ \n'; printf '{"type":"result","subtype":"success","is_error":false,"result":"done\\u001b[31mred\\u009b1m"}\n'"#
        let run = try await burrow(["run", "demo", attack, "--follow"], served)
        XCTAssertEqual(run.status, 0, run.stderr)
        let id = String(run.stderr.split(separator: " ").dropFirst().first ?? "").trimmingCharacters(in: .punctuationCharacters)
        let logs = try await burrow(["logs", id], served)
        for (what, output) in [("run --follow", run.stdout), ("logs", logs.stdout)] {
            XCTAssertTrue(output.contains("evil␛]0;pwned␇␛[2J␍prompt$"), "\(what): the probe printed: \(output)")
            XCTAssertFalse(output.utf8.contains(0x1B) || output.utf8.contains(0x07) || output.utf8.contains(0x0D), "\(what) passed control bytes: \(output)")
            XCTAssertFalse(output.unicodeScalars.contains("\u{9B}"), "\(what) passed a C1 CSI")
        }
        XCTAssertTrue(run.stdout.contains("done␛[31mred"), run.stdout)
    }

    /// Removes what a stopped server's burrows and its instance left in the test Podman (a create
    /// Podman received before the server ended may still finish: removed again until nothing is left),
    /// and names anything that stays.
    static func removeBurrows(_ served: Served, podman: Bool) async {
        guard podman, let client = try? await PodmanTestEnvironment.client() else { return }
        let records = FileSystem.listDirectory(served.state + "/burrows")
        let instance = (try? FileSystem.readFile(served.state + "/instance-id", limit: 256)).map { String(decoding: $0, as: UTF8.self) }
        let instanceLabel = instance.map { "\(BurrowLabels.instance)=\($0.trimmingCharacters(in: .whitespacesAndNewlines))" }
        let burrows = records.map { PodmanLeftovers.Burrow(id: $0, container: "burrow-\($0)", volumes: ["burrow-\($0)-workspace", "burrow-\($0)-claude"]) }
        PodmanLeftovers.report(await PodmanLeftovers.remove(burrows, instanceLabel: instanceLabel, podman: client))
    }

    static func freePort() throws -> UInt16 {
        let socket = try AsyncSocket.listening(on: .ipv4("127.0.0.1", port: 0))
        defer { socket.close() }
        return socket.localAddress?.port ?? 0
    }
}
