@testable import BurrowSystem
@testable import BurrowKit
import Foundation
import XCTest
@testable import BurrowCommands

/// Podman keeps an exec session's process running when its client's connection goes (and has no
/// call to end one): a person's `burrow exec` or `shell` that is killed, or whose network drops, must
/// not leave its command running in the burrow beside the agent.
final class ShellHangupTests: XCTestCase {
    typealias Served = ClientCommandBinaryTests.Served

    func testACommandWhoseClientIsKilledIsHungUp() async throws {
        try await checkHangup(marker: "sleep 4242") { served, id in
            "timeout -s KILL 4 \(ClientCommandBinaryTests.binary) exec --config \(served.config) \(id) -- sh -c 'echo started; exec sleep 4242'"
        }
    }

    func testAShellWhoseClientIsKilledIsHungUpWithItsChildren() async throws {
        // The shell (a pty in the burrow) starts a child in the background, then its client is killed.
        try await checkHangup(marker: "sleep 4343") { served, id in
            "(echo 'sleep 4343 & echo started'; sleep 8) | timeout -s KILL 4 \(ClientCommandBinaryTests.binary) shell --config \(served.config) \(id)"
        }
    }

    private func checkHangup(marker: String, client: (Served, String) -> String) async throws {
        let served = try await ClientCommandBinaryTests.serve(for: self, agentShell: true)
        let record = try await ShellCommandTests.launch(served, "sleep 300", wait: false)
        let count = "ps | grep -c '[\(marker.prefix(1))]\(marker.dropFirst())'"
        // The client is killed (SIGKILL: no goodbye on the connection) while its command runs.
        let killed = try await Subprocess.run(["bash", "-c", client(served, record.id)], environment: ["BURROW_TOKEN": ""], timeout: .seconds(60))
        XCTAssertTrue(killed.stdout.contains("started"), "the probe ran: \(killed.stdout) \(killed.stderr)")
        let gone = try await withTimeout(30) {
            while true {
                let left = try await ShellCommandTests.burrow("exec", served, [record.id, "--", "sh", "-c", count])
                if left.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0" { return true }
                try await Task.sleep(for: .milliseconds(500))
            }
        }
        XCTAssertTrue(gone, "the person's command ended with its client")
        let agent = try await ShellCommandTests.burrow("exec", served, [record.id, "--", "sh", "-c", "ps | grep -c '[s]leep 300'"])
        XCTAssertNotEqual(agent.stdout, "0\n", "the agent runs on: \(agent.stdout)")
        _ = try await ClientCommandBinaryTests.burrow(["stop", record.id], served)
    }
}
