@testable import BurrowKit
import XCTest

/// What Burrow adds to a result of its own: the commit's message and the build junk it leaves out.
final class ResultWordsTests: XCTestCase {
    func testCommitMessageIsTheTasksFirstLine() {
        XCTAssertEqual(CommitMessage.forTurn("\n  Fix the parser  \nthen run tests", burrow: "b1"),
                       "Fix the parser\n\nMade in burrow b1 from work the agent left uncommitted.")
        let long = CommitMessage.forTurn(String(repeating: "x", count: 200), burrow: "b1")
        XCTAssertEqual(long.split(separator: "\n").first?.count, CommitMessage.maxSubject)
        XCTAssertEqual(CommitMessage.forTurn("a\u{1b}[31mb\tc", burrow: "b1").split(separator: "\n").first, "a[31mbc")
        XCTAssertEqual(CommitMessage.forTurn(" \n ", burrow: "b1"), "Made in burrow b1 from work the agent left uncommitted.")
    }

    func testExcludePatternsBecomeIgnoreLinesAtAnyDepth() {
        XCTAssertEqual(ResultExclude.ignoreLines(["__pycache__", "*.pyc", "odd  ", "#x"]).split(separator: "\n"),
                       ["**/__pycache__", "**/*.pyc", "**/odd\\ \\ ", "**/#x"])
    }

    func testBadExcludePatternsStopStartUpNamingTheField() throws {
        for bad in ["", ":(top)x", "!keep", "/abs", "a\nb", "dir\\", "dir\\  "] {
            let json = #"{"resultExclude": [\#(String(decoding: try JSONEncoder().encode(bad), as: UTF8.self))]}"#
            XCTAssertThrowsError(try ConfigLoader.parse(Array(json.utf8)), bad) { error in
                XCTAssertEqual((error as? ConfigError)?.field, "resultExclude", "\(error)")
            }
        }
        let repo = #"{"repos": [{"name": "r", "path": "/tmp", "resultExclude": ["build", "dist"]}]}"#
        let config = try ConfigLoader.parse(Array(repo.utf8))
        XCTAssertEqual(config.resultExclude(config.repos[0]), ResultExclude.defaults + ["build", "dist"])
    }
}
