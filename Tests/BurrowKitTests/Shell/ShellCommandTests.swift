@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman
@testable import BurrowKit
import Foundation
import XCTest
@testable import BurrowCommands

/// `burrow shell` and `burrow exec` as subprocesses against a real `burrow serve` over the test Podman:
/// the agent's uid, the command's exit status, a real pty (resize, Ctrl-C), a finished burrow's
/// workspace, the sandbox, and clear errors.
final class ShellCommandTests: XCTestCase {
    typealias Served = ClientCommandBinaryTests.Served

    /// `burrow VERB --config C ARGS…` (options first: after `--` everything is the command).
    static func burrow(_ verb: String, _ served: Served, _ arguments: [String]) async throws -> Subprocess.Result {
        try await Subprocess.run([ClientCommandBinaryTests.binary, verb, "--config", served.config] + arguments,
                                 environment: ["BURROW_TOKEN": ""], timeout: .seconds(120))
    }

    /// A burrow whose agent (`sh -c TASK`) runs `task`; `wait`: until it ended, else until it runs.
    static func launch(_ served: Served, _ task: String, wait: Bool) async throws -> BurrowRecord {
        let launched = try await ClientCommandBinaryTests.burrow(["run", "demo", task, "--json"] + (wait ? ["--wait"] : []), served)
        XCTAssertEqual(launched.status, 0, launched.stderr)
        let record = try JSONDecoder().decode(BurrowRecord.self, from: Data(launched.stdout.utf8))
        if wait { return record }
        return try await withTimeout(180) {
            while true {
                let shown = try await ClientCommandBinaryTests.burrow(["ls", "--json"], served)
                if let found = try JSONDecoder().decode([BurrowRecord].self, from: Data(shown.stdout.utf8)).first(where: { $0.id == record.id }),
                   found.state == .running, found.user != nil { return found }
                try await Task.sleep(for: .milliseconds(300))
            }
        }
    }

    static func history(_ served: Served, _ id: String) async throws -> String {
        try await ClientCommandBinaryTests.burrow(["logs", "--json", id], served).stdout
    }

    func testExecRunsAsTheAgentInItsSandboxAndGivesTheCommandsStatus() async throws {
        let served = try await ClientCommandBinaryTests.serve(for: self, agentShell: true)
        let record = try await Self.launch(served, "echo from-the-agent > /workspace/agent-file; sleep 300", wait: false)
        let uid = try XCTUnwrap(record.user?.uid)

        let id = try await Self.burrow("exec", served, [record.id, "--", "id", "-u"])
        XCTAssertEqual(id.status, 0, id.stderr)
        XCTAssertEqual(id.stdout, "\(uid)\n")
        let seven = try await Self.burrow("exec", served, [record.id, "--", "sh", "-c", "echo to-stderr >&2; exit 7", "typed-by-a-person"])
        XCTAssertEqual(seven.status, 7, seven.stderr)
        XCTAssertEqual(seven.stderr, "to-stderr\n", "stderr stays stderr")
        let missing = try await Self.burrow("exec", served, [record.id, "--", "/no/such/command"])
        XCTAssertEqual(missing.status, 127, "as a shell says: not found")
        XCTAssertTrue(missing.stderr.contains("/no/such/command"), "Podman's reason: \(missing.stderr)")
        let file = try await Self.burrow("exec", served, [record.id, "--", "cat", "/workspace/agent-file"])
        XCTAssertEqual(file.stdout, "from-the-agent\n", file.stderr)

        // The same sandbox as the agent: no capabilities, no new privileges, no network interface
        // but loopback (this server's burrows have network "none").
        let sandbox = try await Self.burrow("exec", served, [record.id, "--", "sh", "-c", "grep -E '^(CapEff|NoNewPrivs)' /proc/self/status; ls /sys/class/net"])
        XCTAssertEqual(sandbox.status, 0, sandbox.stderr)
        XCTAssertTrue(sandbox.stdout.contains("CapEff:\t0000000000000000"), sandbox.stdout)
        XCTAssertTrue(sandbox.stdout.contains("NoNewPrivs:\t1"), sandbox.stdout)
        XCTAssertEqual(sandbox.stdout.split(separator: "\n").last, "lo", sandbox.stdout)

        // The events say a person's session opened and closed; what they ran is not there.
        let events = try await Self.history(served, record.id)
        XCTAssertTrue(events.contains(#""kind":"shell""#) && events.contains("opened") && events.contains("closed"), events)
        XCTAssertTrue(events.contains(#""exitCode":"7""#), events)
        XCTAssertFalse(events.contains("typed-by-a-person"), "a person's command is not the agent's transcript")
        _ = try await ClientCommandBinaryTests.burrow(["stop", record.id], served)
    }

    /// With the allowlist, a person's command has the agent's network: loopback and the proxy, whose
    /// policy refuses an unlisted host and records it like the agent's own attempts.
    func testExecHasNoNetworkBeyondTheProxy() async throws {
        let served = try await ClientCommandBinaryTests.serve(for: self, agentShell: true, network: #"{"mode": "allowlist", "allow": []}"#)
        let record = try await Self.launch(served, "sleep 300", wait: false)
        let probe = #"ls /sys/class/net; echo proxy=$HTTPS_PROXY; (printf 'CONNECT unlisted.example:443 HTTP/1.1\r\nHost: unlisted.example:443\r\n\r\n'; sleep 2) | nc 127.0.0.1 3128 | head -n 1"#
        let net = try await Self.burrow("exec", served, [record.id, "--", "sh", "-c", probe])
        XCTAssertEqual(net.status, 0, net.stderr)
        let lines = net.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "lo", net.stdout)
        XCTAssertTrue(lines.contains("proxy=http://127.0.0.1:3128"), net.stdout)
        XCTAssertTrue(lines.last?.hasPrefix("HTTP/1.1 403") == true, "the proxy refuses the unlisted host: \(net.stdout)")
        let events = try await withTimeout(30) {
            while true {
                let events = try await Self.history(served, record.id)
                if events.contains("unlisted.example") { return events }
                try await Task.sleep(for: .milliseconds(300))
            }
        }
        XCTAssertTrue(events.contains(#""kind":"net""#), "the proxy recorded the refusal: \(events)")
        _ = try await ClientCommandBinaryTests.burrow(["stop", record.id], served)
    }

    func testShellUnderAPtyRunsIdFollowsResizesPassesCtrlCAndExitsWithItsStatus() async throws {
        let served = try await ClientCommandBinaryTests.serve(for: self, agentShell: true)
        let record = try await Self.launch(served, "sleep 300", wait: false)
        let script = #filePath.components(separatedBy: "/ShellCommandTests.swift")[0] + "/pty-session.py"
        let run = try await Subprocess.run(["python3", script, ClientCommandBinaryTests.binary, "shell", "--config", served.config, record.id],
                                           environment: ["BURROW_TOKEN": "", "TERM": "xterm"], timeout: .seconds(180))
        struct Session: Decodable { let status: Int32?; let steps: [String: Bool]; let output: String }
        let session = try JSONDecoder().decode(Session.self, from: Data(run.stdout.utf8))
        XCTAssertEqual(session.steps, ["ready": true, "size1": true, "size2": true, "ctrlc": true], session.output)
        XCTAssertEqual(session.status, 3, session.output)
        XCTAssertTrue(session.output.contains("uid=\(record.user?.uid ?? 0)("), session.output)
        XCTAssertTrue(session.output.contains("30 100"), "the first size: \(session.output)")
        XCTAssertTrue(session.output.contains("40 120"), "the resize reached the shell: \(session.output)")
        XCTAssertTrue(session.output.contains("CTRLC 130"), "Ctrl-C interrupted the remote sleep: \(session.output)")
        XCTAssertFalse(session.output.contains("SLEPT"))
        _ = try await ClientCommandBinaryTests.burrow(["stop", record.id], served)
    }

    /// A server killed in the middle of a session in a finished burrow leaves its copy running; the
    /// next start removes it.
    func testACopyLeftByAKilledServerIsRemovedAtItsNextStart() async throws {
        let served = try await ClientCommandBinaryTests.serve(for: self, agentShell: true)
        let record = try await Self.launch(served, "true", wait: true)
        let podman = try await PodmanTestEnvironment.client()
        let copies = { @Sendable () async throws -> [ContainerSummary] in
            try await podman.listContainers(label: "io.burrow.id=\(record.id)").filter { $0.names.contains { $0.contains("-shell-") } }
        }
        let session = try await ShellFloodTests.open(served, record.id, ["sleep", "300"])
        defer { session.socket.close() }
        let started = try await withTimeout(60) {
            while true {
                if try await copies().contains(where: { $0.state == "running" }) { return true }
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        XCTAssertTrue(started, "the probe: the session's copy runs")
        kill(served.process.processIdentifier, SIGKILL)
        served.process.waitUntilExit()
        let left = try await copies().count
        XCTAssertEqual(left, 1, "the killed server could not remove its copy")
        let (again, _) = try RestartTests.startBurrow(config: served.config, log: served.state + "/../serve-again.log")
        defer { again.terminate(); again.waitUntilExit() }
        let removed = try await withTimeout(60) {
            while true {
                if try await copies().isEmpty { return true }
                try await Task.sleep(for: .milliseconds(300))
            }
        }
        XCTAssertTrue(removed)
    }

    func testExecInAFinishedBurrowSeesItsWorkspaceThenATornDownOneIsAClearError() async throws {
        let served = try await ClientCommandBinaryTests.serve(for: self, agentShell: true)
        let record = try await Self.launch(served, "echo left-by-the-agent > /workspace/agent-file", wait: true)
        XCTAssertEqual(record.state, .succeeded)
        let file = try await Self.burrow("exec", served, [record.id, "--", "sh", "-c", "cat /workspace/agent-file; id -u; grep NoNewPrivs /proc/self/status"])
        XCTAssertEqual(file.status, 0, file.stderr)
        XCTAssertEqual(file.stdout, "left-by-the-agent\n\(record.user?.uid ?? 0)\nNoNewPrivs:\t1\n")
        let podman = try await PodmanTestEnvironment.client()
        let copies = try await podman.listContainers(label: "io.burrow.id=\(record.id)").filter { $0.names.contains { $0.contains("-shell-") } }
        XCTAssertEqual(copies.count, 0, "the shell's copy of the container is removed after the session")

        let unknown = try await Self.burrow("exec", served, ["nosuchburrow", "--", "true"])
        XCTAssertEqual(unknown.status, ClientExit.error, unknown.stderr)
        XCTAssertTrue(unknown.stderr.contains("no burrow nosuchburrow"), unknown.stderr)
        let teardown = try await ClientCommandBinaryTests.burrow(["teardown", record.id], served)
        XCTAssertEqual(teardown.status, 0, teardown.stderr)
        let gone = try await Self.burrow("shell", served, [record.id])
        XCTAssertEqual(gone.status, ClientExit.error, gone.stderr)
        XCTAssertTrue(gone.stderr.contains("was torn down"), gone.stderr)
        XCTAssertEqual(gone.stderr.split(separator: "\n").count, 1, gone.stderr)
    }
}
