@testable import BurrowSystem
@testable import BurrowKit
import CLinux
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

        XCTAssertTrue(FileSystem.setModeOfEmptyDirectory(empty, 0o777, owner: getuid()))
        XCTAssertEqual(mode(empty), 0o777)
        XCTAssertFalse(FileSystem.setModeOfEmptyDirectory(full, 0o777, owner: getuid()), "a directory with a file in it")
        XCTAssertEqual(mode(full), 0o555)
        XCTAssertFalse(FileSystem.setModeOfEmptyDirectory(link, 0o777, owner: getuid()), "a link to an empty directory")
        XCTAssertEqual(mode(target), 0o555)
        XCTAssertFalse(FileSystem.setModeOfEmptyDirectory(full + "/file", 0o777, owner: getuid()), "a file")
        XCTAssertFalse(FileSystem.setModeOfEmptyDirectory(root + "/missing", 0o777, owner: getuid()))

        let others = root + "/others", marked = root + "/marked"
        for directory in [others, marked] { XCTAssertEqual(mkdir(directory, 0o555), 0) }
        XCTAssertFalse(FileSystem.setModeOfEmptyDirectory(others, 0o777, owner: getuid() + 1), "a directory of another owner")
        XCTAssertEqual(mode(others), 0o555)
        XCTAssertEqual(setxattr(marked, "user.containers.override_stat", "0:0:0555", 8, 0), 0, "this filesystem takes user attributes")
        XCTAssertFalse(FileSystem.setModeOfEmptyDirectory(marked, 0o777, owner: getuid(), unlessAttribute: "user.containers.override_stat"),
                       "a directory whose mode the storage keeps in an attribute")
        XCTAssertEqual(mode(marked), 0o555)
        XCTAssertTrue(FileSystem.setModeOfEmptyDirectory(others, 0o777, owner: getuid(), unlessAttribute: "user.containers.override_stat"),
                      "the attribute asked about is absent")
    }

    /// Podman 4.5 and later leave a new image volume's root alone on its first mount; 4.3 and 4.4 do not.
    func testWhichPodmanLeavesImageVolumeRootsAlone() {
        for (version, leaves) in [("4.3.1", false), ("4.4.4", false), ("4.5.0", true), ("4.9.3", true), ("5.4.2", true), ("10.0", true),
                                  ("", false), ("dev", false), ("4", false)] {
            XCTAssertEqual(Crossing.PodmanStorage.leavesImageVolumeRoots(version), leaves, version)
        }
    }
}
