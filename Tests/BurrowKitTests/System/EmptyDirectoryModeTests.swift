@testable import BurrowSystem
import Glibc
import XCTest

/// The host's claim of a new workspace layer changes only an empty directory itself: never one with
/// something in it, never what a link points to.
final class EmptyDirectoryModeTests: XCTestCase {
    func testOnlyAnEmptyDirectoryItselfIsChanged() throws {
        let root = try TemporaryDirectory.make("burrow-mode")
        defer { chmod(root + "/full", 0o755); FileSystem.removeTree(root) }
        let empty = root + "/empty", full = root + "/full", target = root + "/target", link = root + "/link"
        for directory in [empty, full, target] { XCTAssertEqual(mkdir(directory, 0o755), 0) }
        try FileSystem.writeNew(Array("x".utf8), to: full + "/file")
        for directory in [empty, full, target] { XCTAssertEqual(chmod(directory, 0o555), 0) }
        XCTAssertEqual(symlink(target, link), 0)
        let mode = { (path: String) in (FileSystem.status(path)?.mode ?? 0) & 0o7777 }

        XCTAssertTrue(FileSystem.setModeOfEmptyDirectory(empty, 0o777))
        XCTAssertEqual(mode(empty), 0o777)
        XCTAssertFalse(FileSystem.setModeOfEmptyDirectory(full, 0o777), "a directory with a file in it")
        XCTAssertEqual(mode(full), 0o555)
        XCTAssertFalse(FileSystem.setModeOfEmptyDirectory(link, 0o777), "a link to an empty directory")
        XCTAssertEqual(mode(target), 0o555)
        XCTAssertFalse(FileSystem.setModeOfEmptyDirectory(full + "/file", 0o777), "a file")
        XCTAssertFalse(FileSystem.setModeOfEmptyDirectory(root + "/missing", 0o777))
    }
}
