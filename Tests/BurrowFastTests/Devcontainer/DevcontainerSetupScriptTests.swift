@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman
@testable import BurrowKit
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// The setup program the lead runs before the agent, run here by the host's /bin/sh on test-made
/// commands (the same program runs in the burrow).
final class DevcontainerSetupScriptTests: XCTestCase {
    private func plan(_ commands: [[String]]) -> DevcontainerPlan {
        DevcontainerPlan(file: "f", image: "i", built: false, env: [:], user: nil, setupCommands: commands, unsupported: [], buildLog: [])
    }

    func testCommandsRunInOrderOnStderrThenTheAgentExecs() async throws {
        let tricky = ["printf", "%s|", "it's", "a b", "$HOME", "`id`", "; echo injected", "line\nbreak"]
        let script = plan([["/bin/sh", "-c", "echo one; echo two"], tricky]).setupScript
        let result = try await Subprocess.run(["/bin/sh", "-c", script, "devcontainer-setup", "echo", "agent ran", "with $args"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "agent ran with $args\n", "stdout is the agent's alone; its arguments pass unchanged")
        XCTAssertEqual(result.stderr, """
        devcontainer: [1/2] echo one; echo two
        one
        two
        devcontainer: [2/2] printf %s| it's a b $HOME `id` ; echo injected line ⏎ break
        %s|it's|a b|$HOME|`id`|; echo injected|line
        break|
        """.replacingOccurrences("%s|it's", with: "it's"))
    }

    func testTheFirstFailureStopsBeforeTheAgent() async throws {
        let script = plan([["/bin/sh", "-c", "echo first"], ["/bin/sh", "-c", "exit 7"], ["touch", "/tmp/never"]]).setupScript
        let result = try await Subprocess.run(["/bin/sh", "-c", script, "devcontainer-setup", "echo", "agent ran"])
        XCTAssertEqual(result.status, 7)
        XCTAssertEqual(result.stdout, "", "the agent never started")
        XCTAssertTrue(result.stderr.hasSuffix("first\ndevcontainer: [2/3] exit 7\ndevcontainer: setup command 2 of 3 failed (exit 7), exit 7\n"), result.stderr)
        XCTAssertFalse(result.stderr.contains("[3/3]"))
        let none = try await Subprocess.run(["/bin/sh", "-c", plan([]).setupScript, "devcontainer-setup", "echo", "straight to the agent"])
        XCTAssertEqual(none.stdout, "straight to the agent\n")
    }
}

extension DevcontainerSetupScriptTests {
    func testApplyKeepsBurrowsEnvironmentAndWrapsTheCommandWhenAsked() {
        var plan = plan([["make", "deps"]])
        plan.image = "localhost/burrow-devcontainer-x:1"
        plan.env = ["FROM_DEVCONTAINER": "1", "SHARED": "devcontainer"]
        var spec = ContainerSpec(image: "localhost/burrow-agent:latest")
        spec.command = ["claude", "-p", "task"]
        spec.env = ["SHARED": "burrow config", "HTTPS_PROXY": "http://127.0.0.1:3128"]
        var first = spec
        plan.apply(to: &first, runSetup: true)
        XCTAssertEqual(first.image, "localhost/burrow-devcontainer-x:1")
        XCTAssertEqual(first.env, ["FROM_DEVCONTAINER": "1", "SHARED": "burrow config", "HTTPS_PROXY": "http://127.0.0.1:3128"])
        XCTAssertEqual(first.command, ["/bin/sh", "-c", plan.setupScript, "devcontainer-setup", "claude", "-p", "task"])
        var later = spec
        plan.apply(to: &later, runSetup: false)
        XCTAssertEqual(later.command, ["claude", "-p", "task"], "no setup: the agent's command unchanged")
        XCTAssertEqual(later.image, "localhost/burrow-devcontainer-x:1")
    }
}
