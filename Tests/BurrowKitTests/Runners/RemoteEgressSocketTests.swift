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
}
