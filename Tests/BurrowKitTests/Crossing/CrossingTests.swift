@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import Foundation
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// The crossing as a user meets it: later launches reuse the repo's template and move only what
/// changed; any agent uid owns its workspace; url repos get the patch.
final class CrossingTests: XCTestCase {
    func testALaunchOnANewCommitReusesTheTemplateAndCarriesTheChange() async throws {
        let attack = try await AttackBurrow.make(self)
        let first = try await attack.run("cd /workspace && echo one > ONE.txt")
        XCTAssertEqual(first.state, .succeeded, first.error ?? "")
        // Torn down, the first burrow gives back its id range, whose template the second reuses.
        let teardown = try await attack.app.server.request("DELETE", "/api/burrows/\(first.id)")
        XCTAssertEqual(teardown.status, 204)
        try await attack.userCommit("NEW.txt", "the user's new commit\n")
        let head = try await Subprocess.check(["git", "-C", attack.app.repoPath, "rev-parse", "HEAD"]).stdout.filter { !$0.isWhitespace }
        let second = try await attack.run("cd /workspace && cat NEW.txt && git log --format=%s -1 && echo two > TWO.txt")
        XCTAssertEqual(second.state, .succeeded, second.error ?? "")
        XCTAssertEqual(second.baseCommit, head, "the second burrow starts on the user's new commit")
        let files = try await attack.branchFiles(second)
        XCTAssertTrue(files.contains("NEW.txt") && files.contains("TWO.txt") && !files.contains("ONE.txt"), files)
        XCTAssertEqual(second.ids, first.ids, "the range given back is taken again")
        // The second burrow's range is held now: the next one is made ready (after its turn).
        await attack.app.manager.settleRangePreparations()
        let owners = try await attack.templateOwners()
        XCTAssertTrue(owners.contains(attack.owner(second, range: second.ids?.index ?? 0)) && owners.count == 2,
                      "the range's template is reused (the new commit travelled as a bundle), one more is the next range, made ready: \(owners)")
        let events = String(decoding: try FileSystem.readFile(attack.app.stateDir + "/burrows/\(second.id)/events.ndjson"), as: UTF8.self)
        XCTAssertTrue(events.contains("the user's new commit") && events.contains("user: NEW.txt"), "the agent saw the new commit")
    }

    func testAnAgentUserThatIsNotUID1000OwnsItsWorkspaceAndConfig() async throws {
        let attack = try await AttackBurrow.make(self) { $0.agentUser = "2000:2000" }
        let record = try await attack.run("""
        id -u; cd /workspace && touch BY-2000.txt && touch /burrow/claude/state && stat -c '%u %n' . BY-2000.txt /burrow/claude/state
        """)
        XCTAssertEqual(record.state, .succeeded, record.error ?? "")
        XCTAssertEqual(record.user, AgentIdentity(uid: 2000, gid: 2000))
        let files = try await attack.branchFiles(record)
        XCTAssertTrue(files.contains("BY-2000.txt"), files)
        let events = String(decoding: try FileSystem.readFile(attack.app.stateDir + "/burrows/\(record.id)/events.ndjson"), as: UTF8.self)
        XCTAssertTrue(events.contains("2000 /burrow/claude/state") && events.contains("2000 BY-2000.txt"), "ran as 2000 and owned what it made")
    }

    func testAnUnknownAgentUserIsAClearFailure() async throws {
        let attack = try await AttackBurrow.make(self) { $0.agentUser = "nobody-here" }
        let record = try await attack.run("true")
        XCTAssertEqual(record.state, .failed)
        XCTAssertTrue(record.error?.contains("no usable agent user 'nobody-here'") == true, record.error ?? "")
    }

    func testAURLRepoGetsThePatchAndNoBranch() async throws {
        let repo = try await BurrowTestApp.makeRepo()
        let attack = try await AttackBurrow.make(self) { config in
            config.repos = [RepoConfig(name: "demo", url: "file://" + repo)]
        }
        let record = try await attack.run("cd /workspace && echo from-url > URL.txt")
        XCTAssertEqual(record.state, .succeeded, record.error ?? "")
        XCTAssertNil(record.branch)
        XCTAssertTrue(try attack.patch(record).contains("+from-url"))
        let branches = try await Subprocess.check(["git", "-C", repo, "branch", "--list", "burrow/*"]).stdout
        XCTAssertEqual(branches, "", "a url repo's source is never written to")
    }
}
