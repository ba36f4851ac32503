import Glibc
@testable import BurrowSystem
@testable import BurrowKit
import XCTest

/// The commands that place a remote burrow's egress socket: only checked paths, a Burrow-made id and
/// numbers reach them, each path as one quoted word.
final class RemoteEgressSocketTests: XCTestCase {
    func testPathsAndCommandsNameOnlyTheBurrowsFolderAndItsAgent() throws {
        let socket = try RemoteEgressSocket(directory: "/run/user/1003/burrow", id: "abc123def456", owner: AgentIdentity(uid: 1000, gid: 1001))
        XCTAssertEqual(socket.folder, "/run/user/1003/burrow/abc123def456")
        XCTAssertEqual(socket.path, "/run/user/1003/burrow/abc123def456/" + SandboxLayout.socketName)
        XCTAssertEqual(socket.listenPath, "/run/user/1003/burrow/forwards/abc123def456.sock")
        XCTAssertTrue(socket.beforeForward.contains("mkdir -p -m 0700 '/run/user/1003/burrow/forwards' && chmod 0700"), socket.beforeForward)
        XCTAssertTrue(socket.afterForward.hasPrefix("podman unshare sh -c '"), socket.afterForward)
        XCTAssertTrue(socket.afterForward.contains("chown 1000:1001 \"$1\" \"$2\" && chmod 0700 \"$1\" && chmod 0600 \"$2\" && mv -f \"$2\" \"$3\""), socket.afterForward)
        XCTAssertTrue(socket.afterForward.hasSuffix("sh '\(socket.folder)' '\(socket.listenPath)' '\(socket.path)'"), socket.afterForward)
        XCTAssertTrue(socket.remove.hasSuffix("podman unshare rm -rf '\(socket.folder)'"), socket.remove)
    }

    func testAnythingThatCouldLeaveItsQuotesIsRefused() {
        let agent = AgentIdentity(uid: 1000, gid: 1000)
        for (directory, id) in [("/run/x'; rm -rf ~; '", "abc"), ("relative/dir", "abc"), ("/run/burrow", "../../etc"),
                                ("/run/burrow", "a'b"), ("/run/burrow", "a b"), ("/run/burrow", ""), ("/run/burrow", "$(id)")] {
            XCTAssertThrowsError(try RemoteEgressSocket(directory: directory, id: id, owner: agent), "\(directory) \(id)")
        }
        XCTAssertThrowsError(try RemoteEgressSocket(directory: "/run/burrow", id: "abc", owner: AgentIdentity(uid: -1, gid: 0)))
    }

    /// Another user of the runner who made Burrow's folder first (a `remoteDir` under /tmp) could swap
    /// the socket's folder or the seccomp profile inside it: the folder must be the SSH user's alone.
    /// The real check, run by /bin/sh as this (root) user: probes that the own folder passes.
    func testAFolderAnotherUserMadeFirstIsRefused() async throws {
        guard geteuid() == 0 else { throw XCTSkip("needs root to give a folder to another user") }
        let base = try TemporaryDirectory.make("owned-dir")
        chmod(base, 0o755)
        let own = base + "/own"
        let check = { (directory: String) in try await Subprocess.run(["/bin/sh", "-c", RemoteEgressSocket.ownedDirectory(directory)]) }
        let made = try await check(own)
        XCTAssertTrue(made.succeeded, "the SSH user's own folder is made and accepted: \(made.stderr)")
        XCTAssertTrue(FileSystem.status(own)?.isDirectory == true)
        let squatted = base + "/squatted"
        XCTAssertEqual(mkdir(squatted, 0o777), 0)
        XCTAssertEqual(chown(squatted, 65534, 65534), 0)
        let link = base + "/link"
        XCTAssertEqual(symlink(own, link), 0)
        let open = base + "/open"
        XCTAssertEqual(mkdir(open, 0o711), 0)
        chmod(open, 0o777)
        let underOthers = base + "/others/burrow"
        XCTAssertEqual(mkdir(base + "/others", 0o777), 0)
        chmod(base + "/others", 0o777)
        for refused in [squatted, link, open, underOthers] {
            let result = try await check(refused)
            XCTAssertFalse(result.succeeded, refused)
            XCTAssertTrue(result.stderr.contains("is not the SSH user's alone"), result.stderr)
        }
    }
}
