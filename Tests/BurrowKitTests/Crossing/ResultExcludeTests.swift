@testable import BurrowKit
import BurrowSystem
import XCTest

/// Build junk the repo does not track stays in the burrow; what the repo tracks always comes home.
final class ResultExcludeTests: XCTestCase {
    func testUntrackedBuildJunkStaysOutOfTheResult() async throws {
        let attack = try await AttackBurrow.make(self) { config in
            config.repos = config.repos.map { var repo = $0; repo.resultExclude = ["build"]; return repo }
        }
        try await attack.userCommit("vendored.pyc", "tracked\n")
        let record = try await attack.run("""
        cd /workspace
        mkdir -p pkg/__pycache__ .pytest_cache build && echo junk > pkg/__pycache__/m.cpython-311.pyc
        echo junk > stray.pyc; echo x > .pytest_cache/README; echo mine > build/out.txt
        echo keep > pkg/keep.txt; echo changed > vendored.pyc; echo note > notes.tmp
        """)
        XCTAssertEqual(record.state, .succeeded, record.error ?? "")
        let files = try await attack.branchFiles(record)
        for kept in ["pkg/keep.txt", "notes.tmp", "vendored.pyc"] { XCTAssertTrue(files.contains(kept), "\(kept) came home: \(files)") }
        for junk in ["__pycache__", "stray.pyc", ".pytest_cache", "build/out.txt"] { XCTAssertFalse(files.contains(junk), "\(junk) left out: \(files)") }
        let tracked = try await Subprocess.check(["git", "-C", attack.app.repoPath, "show", "burrow/\(record.id):vendored.pyc"]).stdout
        XCTAssertEqual(tracked, "changed\n", "a tracked file matching a pattern still comes home changed")
        let log = try await attack.branchLog(record)
        XCTAssertEqual(log.first, "cd /workspace", "the commit is named by the task's first line")
    }
}
