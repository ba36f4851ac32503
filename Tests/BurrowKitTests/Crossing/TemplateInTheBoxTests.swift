@testable import BurrowSystem
@testable import BurrowKit
import Foundation
import XCTest

/// The template as the agent meets it in a real burrow: git finds the workspace clean without
/// reading a file, an edit shows, and the work that comes home is exactly the agent's change, with
/// every symlink, executable bit, submodule, pointer file and odd name as the user committed it.
final class TemplateInTheBoxTests: XCTestCase {
    func testTheWorkspaceIsCleanAtOnceAndOnlyTheAgentsEditComesHome() async throws {
        let attack = try await AttackBurrow.make(self)
        try await Subprocess.check(["bash", "-c", "set -e; cd '\(attack.app.repoPath)'\n" + TemplateArchiveTests.oddFiles])
        let record = try await attack.run(#"""
        cd /workspace
        echo "diff-files:[$(git diff-files --name-only | tr '\n' ' ')]"
        echo "status:[$(git status --porcelain --untracked-files=all | tr '\n' ' ')]"
        echo "modes:$(stat -c '%a:%n' run.sh plain.txt | tr '\n' ' ')"
        echo "link:$(readlink link) sub:$(ls -A vendor/sub | wc -l) owner:$(stat -c %u .git/index plain.txt | sort -u | tr '\n' ' ')"
        echo edited >> plain.txt
        echo "after:[$(git status --porcelain | tr '\n' ' ')]"
        """#)
        XCTAssertEqual(record.state, .succeeded, record.error ?? "")
        let events = String(decoding: try FileSystem.readFile(attack.app.stateDir + "/burrows/\(record.id)/events.ndjson"), as: UTF8.self)
        XCTAssertTrue(events.contains("diff-files:[]"), "git found every file's stat data as the index has them: \(events.suffix(2000))")
        XCTAssertTrue(events.contains("status:[]"), "a clean workspace: \(events.suffix(2000))")
        XCTAssertTrue(events.contains("modes:755:run.sh 644:plain.txt"), events.suffix(2000).description)
        XCTAssertTrue(events.contains("link:plain.txt sub:0 owner:1000 "), events.suffix(2000).description)
        XCTAssertTrue(events.contains("after:[ M plain.txt ]"), "the agent's edit shows: \(events.suffix(2000))")
        let changed = try await Subprocess.check(["git", "-C", attack.app.repoPath, "diff", "--name-status", "--no-renames",
                                                  record.baseCommit!, "burrow/\(record.id)"]).stdout
        XCTAssertEqual(changed, "M\tplain.txt\n", "only the agent's change came home")
        let diff = try await Subprocess.check(["git", "-C", attack.app.repoPath, "diff", record.baseCommit!, "burrow/\(record.id)"]).stdout
        XCTAssertTrue(diff.contains("+edited"), diff)
    }
}
