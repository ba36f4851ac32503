@testable import BurrowKit
import XCTest

/// The changes helper's output is hostile bytes: only what matches is taken, bounded, as text.
final class WorkspaceChangesParserTests: XCTestCase {
    private func parse(_ text: String) -> WorkspaceChanges { WorkspaceChanges.parseHelperOutput(Array(text.utf8)) }

    func testWellFormedOutput() {
        let changes = parse("burrow-changes 1\ntotal 3 5 1 1\n2\t1\ta.txt\u{0}-\t-\tb.bin\u{0}3\t0\tnew\nname\u{0}")
        XCTAssertNil(changes.error)
        XCTAssertEqual(changes.files, [.init(path: "a.txt", added: 2, removed: 1), .init(path: "b.bin", added: nil, removed: nil),
                                       .init(path: "new\u{240A}name", added: 3, removed: 0)])
        XCTAssertEqual([changes.totalFiles, changes.added, changes.removed, changes.binary], [3, 5, 1, 1])
        XCTAssertFalse(changes.truncated)
    }

    func testMalformedRecordsAreDroppedAndACutRecordIsNotTaken() {
        let changes = parse("burrow-changes 1\ntotal 9 0 0 0\n1\t1\tok\u{0}x\t1\tbad\u{0}-1\t2\tneg\u{0}1234567890123\t1\tlong\u{0}1\t-\thalf\u{0}1\t1\t\u{0}1\t2\tcu")
        XCTAssertEqual(changes.files.map(\.path), ["ok"])
        XCTAssertTrue(changes.truncated)
        XCTAssertEqual(changes.totalFiles, 9, "the helper's totals count what was cut")
    }

    func testHeadersThatAreNotBurrowsAreRefused() {
        XCTAssertNotNil(parse("").error)
        XCTAssertNotNil(parse("burrow-changes 2\ntotal 1 1 1 1\n").error)
        XCTAssertNotNil(parse("burrow-changes 1\ntotal 1 x 1 1\n").error)
        XCTAssertNotNil(parse("burrow-changes 1\ntotal 1 1 1\n").error)
        XCTAssertEqual(parse("burrow-changes 1\nerror the agent removed \u{1B}[31m.git\n").error, "the agent removed \u{241B}[31m.git")
    }

    func testTheListIsBoundedAndNamesAreText() {
        var text = "burrow-changes 1\ntotal 5000 5000 0 0\n"
        for index in 0..<5000 { text += "1\t0\tf\(index)\u{0}" }
        text += "1\t0\t" + String(repeating: "n", count: 1000) + "\u{0}"
        let changes = parse(text)
        XCTAssertEqual(changes.files.count, WorkspaceChanges.maxFiles)
        XCTAssertTrue(changes.truncated)
        XCTAssertEqual(changes.totalFiles, 5001)
        XCTAssertEqual(WorkspaceChanges.display(Array(String(repeating: "n", count: 1000).utf8)).count, 301)
        XCTAssertEqual(WorkspaceChanges.display([0x61, 0xFF, 0x62, 0x7F]), "a\u{FFFD}b\u{2421}")
        XCTAssertEqual(WorkspaceChanges.display(Array("a\u{202E}b\u{2066}".utf8)), "a\u{FFFD}b\u{FFFD}")
    }
}
