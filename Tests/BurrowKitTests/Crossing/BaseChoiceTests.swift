@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import Foundation
import XCTest

/// What a burrow starts from: a branch, tag or commit chosen at launch, and the user's uncommitted
/// changes shipped on top without touching their working tree.
final class BaseChoiceTests: XCTestCase {
    func git(_ repo: String, _ arguments: [String]) async throws -> String {
        try await Subprocess.check(["git", "-C", repo, "-c", "user.name=u", "-c", "user.email=u@u"] + arguments).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func launch(_ app: BurrowTestApp, _ body: [String: Any]) async throws -> RawClient.Response {
        let json = String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
        return try await app.server.request("POST", "/api/burrows", headers: ["Content-Type": "application/json"], body: json)
    }

    func testABurrowStartsFromTheChosenBranchOrCommit() async throws {
        let attack = try await AttackBurrow.make(self)
        let repo = attack.app.repoPath
        let first = try await git(repo, ["rev-parse", "HEAD"])
        _ = try await git(repo, ["branch", "older"])
        try await attack.userCommit("NEW.txt", "on main only\n")
        let script = "cd /workspace && git rev-parse --abbrev-ref HEAD && git rev-parse HEAD && ls && echo done > DONE.txt"

        let onBranch = try await launch(attack.app, ["repo": "demo", "task": script, "base": "older"])
        XCTAssertEqual(onBranch.status, 201, onBranch.text)
        let branchRecord = try JSONDecoder().decode(BurrowRecord.self, from: Data(onBranch.body))
        XCTAssertEqual(branchRecord.baseRef, BaseChoice(ref: "older", commit: first), "resolved in the user's repo at launch")
        let finished = try await attack.app.finished(branchRecord.id, within: 120)
        XCTAssertEqual(finished.state, .succeeded, finished.error ?? "")
        XCTAssertEqual(finished.baseCommit, first)
        XCTAssertEqual(finished.baseBranch, "older")
        let events = String(decoding: try FileSystem.readFile(attack.app.stateDir + "/burrows/\(finished.id)/events.ndjson"), as: UTF8.self)
        XCTAssertTrue(events.contains("older") && events.contains(first) && !events.contains("NEW.txt"), "the workspace is on older")
        let files = try await attack.branchFiles(finished)
        XCTAssertTrue(files.contains("DONE.txt") && !files.contains("NEW.txt"), files)

        let onCommit = try await launch(attack.app, ["repo": "demo", "task": script, "base": String(first.prefix(10))])
        XCTAssertEqual(onCommit.status, 201, onCommit.text)
        let commitRecord = try await attack.app.finished(try JSONDecoder().decode(BurrowRecord.self, from: Data(onCommit.body)).id, within: 120)
        XCTAssertEqual(commitRecord.state, .succeeded, commitRecord.error ?? "")
        XCTAssertEqual(commitRecord.baseCommit, first)
        XCTAssertEqual(commitRecord.baseBranch, "burrow-base")

        for bad in ["--upload-pack=touch \(attack.marker)", "main~1", "main:refs/heads/x", "a..b", "nope", "HEAD@{1}", "-", "ref with space",
                    String(repeating: "a", count: 201), "refs/heads/.hidden", "x.lock"] {
            let refused = try await launch(attack.app, ["repo": "demo", "task": "true", "base": bad])
            XCTAssertEqual(refused.status, 400, "\(bad): \(refused.text)")
        }
        XCTAssertEqual(attack.escapes(), [])
        let count = await attack.app.manager.list().count
        XCTAssertEqual(count, 2, "a refused launch leaves no record")
    }

    func testUncommittedChangesRideOnTopAndTheUsersTreeIsUntouched() async throws {
        let attack = try await AttackBurrow.make(self)
        let repo = attack.app.repoPath
        let head = try await git(repo, ["rev-parse", "HEAD"])
        try FileSystem.writeAtomically(Array("# changed by the user, not committed\n".utf8), to: repo + "/README.md")
        try FileSystem.writeAtomically([0, 1, 2, 255, 0, 7], to: repo + "/blob.bin")
        _ = try await git(repo, ["add", "blob.bin"])                                   // staged, not committed
        let statusBefore = try await git(repo, ["status", "--porcelain"])
        let indexBefore = try FileSystem.readFile(repo + "/.git/index")

        let response = try await launch(attack.app, ["repo": "demo", "uncommitted": true, "task":
            "cd /workspace && cat README.md && od -An -tu1 blob.bin && git status --porcelain | wc -l && git log --format=%s -1 && echo agent >> README.md"])
        XCTAssertEqual(response.status, 201, response.text)
        let launched = try JSONDecoder().decode(BurrowRecord.self, from: Data(response.body))
        XCTAssertEqual(launched.uncommitted?.files, 2)
        XCTAssertEqual(launched.uncommitted?.against, head)
        let record = try await attack.app.finished(launched.id, within: 120)
        XCTAssertEqual(record.state, .succeeded, record.error ?? "")
        XCTAssertNotEqual(record.baseCommit, head, "the base is the user's HEAD with their changes committed on top")
        let events = String(decoding: try FileSystem.readFile(attack.app.stateDir + "/burrows/\(record.id)/events.ndjson"), as: UTF8.self)
        XCTAssertTrue(events.contains("changed by the user, not committed"), "the agent saw the uncommitted change")
        XCTAssertTrue(events.contains("0   1   2 255   0   7"), "binary changes travel too")
        XCTAssertTrue(events.contains("Uncommitted changes from the working tree of demo"))
        let patch = try attack.patch(record)
        XCTAssertTrue(patch.contains("+agent") && !patch.contains("+# changed by the user"), "the patch is the agent's work only: \(patch)")
        let log = try await attack.branchLog(record)
        XCTAssertEqual(Array(log.suffix(2)), ["Uncommitted changes from the working tree of demo", "init"], "\(log)")

        XCTAssertEqual(try FileSystem.readFile(repo + "/.git/index"), indexBefore, "the user's index is untouched")
        let statusAfter = try await git(repo, ["status", "--porcelain"])
        XCTAssertEqual(statusAfter, statusBefore, "and their tree")
        XCTAssertEqual(try FileSystem.readFile(repo + "/README.md"), Array("# changed by the user, not committed\n".utf8))
        let stillHead = try await git(repo, ["rev-parse", "HEAD"])
        XCTAssertEqual(stillHead, head)

        // Changes that do not apply on the chosen base end the burrow with the reason.
        _ = try await git(repo, ["commit", "--quiet", "-a", "-m", "user: README and blob"])
        try FileSystem.writeAtomically(Array("# again\n".utf8), to: repo + "/README.md")
        _ = try await git(repo, ["branch", "-f", "first", head])
        let clash = try await launch(attack.app, ["repo": "demo", "uncommitted": true, "base": "first", "task": "true"])
        XCTAssertEqual(clash.status, 201, clash.text)
        let failed = try await attack.app.finished(try JSONDecoder().decode(BurrowRecord.self, from: Data(clash.body)).id, within: 120)
        XCTAssertEqual(failed.state, .failed)
        XCTAssertTrue(failed.error?.contains("do not apply on the base") == true, failed.error ?? "")
    }

    func testUncommittedChangesNeedALocalRepo() async throws {
        let source = try await BurrowTestApp.makeRepo()
        let attack = try await AttackBurrow.make(self) { $0.repos = [RepoConfig(name: "demo", url: "file://" + source)] }
        let refused = try await launch(attack.app, ["repo": "demo", "uncommitted": true, "task": "true"])
        XCTAssertEqual(refused.status, 400, refused.text)
        XCTAssertTrue(refused.text.contains("url repo"), refused.text)
        let short = try await launch(attack.app, ["repo": "demo", "base": "abcdef1", "task": "true"])
        XCTAssertEqual(short.status, 400, short.text)
        let missing = try await launch(attack.app, ["repo": "demo", "base": "no-such-branch", "task": "true"])
        XCTAssertEqual(missing.status, 400, missing.text)
        let named = try await launch(attack.app, ["repo": "demo", "base": "main", "task": "cd /workspace && echo u > U.txt"])
        XCTAssertEqual(named.status, 201, named.text)
        let record = try await attack.app.finished(try JSONDecoder().decode(BurrowRecord.self, from: Data(named.body)).id, within: 120)
        XCTAssertEqual(record.state, .succeeded, record.error ?? "")
        XCTAssertEqual(record.baseBranch, "main")
    }
}
