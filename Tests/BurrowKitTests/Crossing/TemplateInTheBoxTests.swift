@testable import BurrowSystem
@testable import BurrowKit
import Foundation
import XCTest

/// The template as the agent meets it in a real burrow: git finds the workspace clean without
/// reading a file, an edit shows, and the work that comes home is exactly the agent's change, with
/// every symlink, executable bit, submodule, pointer file and odd name as the user committed it.
final class TemplateInTheBoxTests: XCTestCase {
    /// The first launch (its workspace filled from the template's archive) and a later one (a volume
    /// over the template image) both see it so.
    func testTheWorkspaceIsCleanAtOnceAndOnlyTheAgentsEditComesHome() async throws {
        let attack = try await AttackBurrow.make(self)
        try await Subprocess.check(["bash", "-c", "set -e; cd '\(attack.app.repoPath)'\n" + TemplateArchiveTests.oddFiles])
        let first = try await probe(attack, launch: "first (filled)")
        // Torn down, so that the next burrow takes the same id range (templates are per owner).
        let teardown = try await attack.app.server.request("DELETE", "/api/burrows/\(first.id)")
        XCTAssertEqual(teardown.status, 204)
        await attack.app.manager.crossing.templates.settle()
        let later = try await probe(attack, launch: "later (over the template image)")
        let volume = try await attack.app.manager.podman.inspectVolume(later.workspaceVolume)
        XCTAssertEqual(volume.driver, "image", "the later workspace is a volume over the template image")
        let owners = try await attack.templateOwners()
        XCTAssertTrue(owners.contains(attack.owner(first, range: first.ids?.index ?? 0)), "the template image was made after the first launch: \(owners)")
    }

    @discardableResult
    func probe(_ attack: AttackBurrow, launch: String) async throws -> BurrowRecord {
        let record = try await attack.run(#"""
        cd /workspace
        echo "diff-files:[$(git diff-files --name-only | tr '\n' ' ')]"
        echo "status:[$(git status --porcelain --untracked-files=all | tr '\n' ' ')]"
        echo "modes:$(stat -c '%a:%n' run.sh plain.txt | tr '\n' ' ')"
        echo "link:$(readlink link) sub:$(ls -A vendor/sub | wc -l) owner:$(stat -c %u .git/index plain.txt | sort -u | tr '\n' ' ')"
        echo edited >> plain.txt
        echo "after:[$(git status --porcelain | tr '\n' ' ')]"
        """#)
        XCTAssertEqual(record.state, .succeeded, "\(launch): \(record.error ?? "")")
        let events = String(decoding: try FileSystem.readFile(attack.app.stateDir + "/burrows/\(record.id)/events.ndjson"), as: UTF8.self)
        let tail = "\(launch): \(events.suffix(2000))"
        XCTAssertTrue(events.contains("diff-files:[]"), "git found every file's stat data as the index has them: \(tail)")
        XCTAssertTrue(events.contains("status:[]"), "a clean workspace: \(tail)")
        XCTAssertTrue(events.contains("modes:755:run.sh 644:plain.txt"), tail)
        XCTAssertTrue(events.contains("link:plain.txt sub:0 owner:1000 "), tail)
        XCTAssertTrue(events.contains("after:[ M plain.txt ]"), "the agent's edit shows: \(tail)")
        let changed = try await Subprocess.check(["git", "-C", attack.app.repoPath, "diff", "--name-status", "--no-renames",
                                                  record.baseCommit!, "burrow/\(record.id)"]).stdout
        XCTAssertEqual(changed, "M\tplain.txt\n", "\(launch): only the agent's change came home")
        let diff = try await Subprocess.check(["git", "-C", attack.app.repoPath, "diff", record.baseCommit!, "burrow/\(record.id)"]).stdout
        XCTAssertTrue(diff.contains("+edited"), "\(launch): \(diff)")
        return record
    }
}

/// A SHA-256 repository (no synthesized index for it) enters a burrow through a template checked out
/// on the host, and the agent's work comes home in the same object format.
final class SHA256RepoTests: XCTestCase {
    func testASHA256RepoEntersCleanAndWholeAndTheWorkComesHome() async throws {
        let repo = try TemporaryDirectory.make("burrow-sha256-repo")
        try await Subprocess.check(["bash", "-c", """
        set -e; cd '\(repo)'; git init -q --object-format=sha256 -b main; echo '# sha256' > README.md; git add README.md
        git -c user.name=t -c user.email=t@t commit -qm init
        """])
        let attack = try await AttackBurrow.make(self) { config in config.repos = [RepoConfig(name: "demo", path: repo)] }
        let record = try await attack.run(#"""
        cd /workspace && echo "status:[$(git status --porcelain | tr '\n' ' ')] format:$(git rev-parse --show-object-format) head:$(git rev-parse HEAD)" && cat README.md
        echo committed > COMMITTED.txt && git add COMMITTED.txt && git -c user.name=a -c user.email=a@a commit -qm "the agent's commit"
        echo left > LEFT.txt
        """#)
        XCTAssertEqual(record.state, .succeeded, record.error ?? "")
        let events = String(decoding: try FileSystem.readFile(attack.app.stateDir + "/burrows/\(record.id)/events.ndjson"), as: UTF8.self)
        XCTAssertTrue(events.contains("status:[] format:sha256 head:\(record.baseCommit ?? "?")") && events.contains("# sha256"),
                      events.suffix(1500).description)
        let branch = "burrow/\(record.id)"
        let files = try await Subprocess.check(["git", "-C", repo, "ls-tree", "-r", "--name-only", branch]).stdout
        XCTAssertEqual(files.split(separator: "\n").sorted(), ["COMMITTED.txt", "LEFT.txt", "README.md"], files)
        let log = try await Subprocess.check(["git", "-C", repo, "log", "--format=%s", branch]).stdout
        XCTAssertTrue(log.hasPrefix("cd /workspace && echo \"status:"), log)
        XCTAssertEqual(log.split(separator: "\n").dropFirst().first, "the agent's commit", log)
        XCTAssertTrue(try attack.patch(record).contains("+left"), "the patch is made too")
    }

    /// The agent as the attacker in a SHA-256 repository: everything it plants stays data on the way home.
    func testEverythingPlantedInASHA256RepoStaysDataOnTheHost() async throws {
        let repo = try TemporaryDirectory.make("burrow-sha256-attack")
        try await Subprocess.check(["bash", "-c", """
        set -e; cd '\(repo)'; git init -q --object-format=sha256 -b main; echo '# sha256' > README.md; git add README.md
        git -c user.name=t -c user.email=t@t commit -qm init
        """])
        let attack = try await AttackBurrow.make(self) { config in config.repos = [RepoConfig(name: "demo", path: repo)] }
        let record = try await attack.run(CrossingAttackTests.plantEverything + "\necho uncommitted > U.txt")
        XCTAssertEqual(record.state, .succeeded, record.error ?? "")
        XCTAssertEqual(attack.escapes(), [], "a planted command ran on the host")
        let files = try await Subprocess.check(["git", "-C", repo, "ls-tree", "-r", "--name-only", "burrow/\(record.id)"]).stdout
        XCTAssertTrue(files.contains("PLANTED.txt") && files.contains("U.txt") && files.contains(".hooks/pre-commit"),
                      "the attack ran and its files came home as data: \(files)")
    }

    func testASHA256RemoteGetsAStoreOfItsFormatAndThePatch() async throws {
        let repo = try TemporaryDirectory.make("burrow-sha256-remote")
        try await Subprocess.check(["bash", "-c", """
        set -e; cd '\(repo)'; git init -q --object-format=sha256 -b main; echo '# remote' > README.md; git add README.md
        git -c user.name=t -c user.email=t@t commit -qm init
        """])
        let attack = try await AttackBurrow.make(self) { config in config.repos = [RepoConfig(name: "demo", url: "file://" + repo)] }
        let record = try await attack.run("cd /workspace && echo \"format:$(git rev-parse --show-object-format)\" && echo more >> README.md")
        XCTAssertEqual(record.state, .succeeded, record.error ?? "")
        XCTAssertEqual(record.baseCommit?.utf8.count, 64, "the base is a SHA-256 id")
        let patch = try attack.patch(record)
        XCTAssertTrue(patch.contains("+more"), patch)
    }
}
