@testable import BurrowKit
@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman
import Glibc
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// Issue #27.1: Burrow never creates a folder that locks Podman's user out of its state; `serve`
/// refuses a state dir that user cannot reach, with the fix; a launch that Podman refuses for it says so.
final class StateDirReachTests: XCTestCase {
    let binary = #filePath.components(separatedBy: "/Tests/")[0] + "/.build/debug/burrow"

    func testFoldersCreatedOnTheWayStayTraversableWhateverTheUmask() throws {
        let base = try TemporaryDirectory.make("state-reach")
        defer { FileSystem.removeTree(base) }
        let old = umask(0o077)
        defer { umask(old) }
        try FileSystem.createDirectories(base + "/.local/state/burrow", mode: 0o700)
        XCTAssertEqual((FileSystem.status(base + "/.local")?.mode ?? 0) & 0o777, 0o711, "a parent Burrow created")
        XCTAssertEqual((FileSystem.status(base + "/.local/state")?.mode ?? 0) & 0o777, 0o711, "a parent Burrow created")
        XCTAssertEqual((FileSystem.status(base + "/.local/state/burrow")?.mode ?? 0) & 0o777, 0o700, "the folder asked for keeps its mode")
        // A folder that exists already is left as it is.
        chmod(base + "/.local", 0o700)
        try FileSystem.createDirectories(base + "/.local/state/other", mode: 0o700)
        XCTAssertEqual((FileSystem.status(base + "/.local")?.mode ?? 0) & 0o777, 0o700)
    }

    func podmanUID() async throws -> UInt32 {
        _ = try await PodmanTestEnvironment.client()
        let uid = try XCTUnwrap(FileSystem.status(PodmanTestEnvironment.socket!)?.owner)
        try XCTSkipIf(uid == getuid(), "Podman runs as this test's own user: every folder here is reachable")
        return uid
    }

    /// The real binary: refused with the exact fix and nothing served; once fixed, `serve` starts and
    /// the folders it created under a umask of 077 are traversable.
    func testServeRefusesAStateDirPodmansUserCannotReachAndNamesTheFix() async throws {
        let uid = try await podmanUID()
        let base = try TemporaryDirectory.make("state-reach")
        defer { FileSystem.removeTree(base) }
        chmod(base, 0o755)
        let home = base + "/home"
        try FileSystem.createDirectories(home + "/.config/burrow", mode: 0o755)
        chmod(home, 0o700)
        let port = try freePort()
        try FileSystem.writeAtomically(Array(#"{"listen":"127.0.0.1:\#(port)","podmanSocket":"\#(PodmanTestEnvironment.socket!)","stateDir":"\#(home)/.local/state/burrow"}"#.utf8),
                                       to: home + "/.config/burrow/burrow.json")
        let refused = try await Subprocess.run(["/bin/sh", "-c", "umask 077; exec \"$0\" serve", binary],
                                               environment: ["HOME": home, "BURROW_TOKEN": "reach-test"], timeout: .seconds(30))
        XCTAssertEqual(refused.status, 1, refused.stdout + refused.stderr)
        XCTAssertTrue(refused.stderr.contains("not reachable by Podman's user \(UserNames.name(of: uid))"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("fix: chmod o+x \(home) "), refused.stderr)
        let listening = await isListening(port)
        XCTAssertFalse(listening)

        chmod(home, 0o711)
        let binary = self.binary
        let serving = Task {
            try await Subprocess.run(["/bin/sh", "-c", "umask 077; exec \"$0\" serve", binary],
                                     environment: ["HOME": home, "BURROW_TOKEN": "reach-test"], timeout: .seconds(30))
        }
        defer { serving.cancel() }
        var started = false
        for _ in 0..<300 where !started {
            try await Task.sleep(for: .milliseconds(50))
            started = await isListening(port)
        }
        XCTAssertTrue(started, "serve did not start once the home was traversable")
        for folder in [home + "/.local", home + "/.local/state"] {
            XCTAssertEqual((FileSystem.status(folder)?.mode ?? 0) & 0o777, 0o711, folder)
        }
        XCTAssertNil(StateDirAccess.problem(stateDir: home + "/.local/state/burrow", podmanUID: uid))
        serving.cancel()
        _ = try? await serving.value
    }

    /// A state dir that became unreachable after the start: the launch fails naming the fix, not
    /// only Podman's "permission denied" about a seccomp profile.
    func testALaunchRefusedForTheStateDirNamesTheFix() async throws {
        _ = try await podmanUID()
        let base = try TemporaryDirectory.make("state-reach")
        defer { FileSystem.removeTree(base) }
        chmod(base, 0o711)
        let app = try await BurrowTestApp(stateDir: base + "/state") { $0.agentCommand = ["true"] }
        defer { Task { await app.cleanUp() } }
        chmod(base, 0o700)
        let record = try await app.launch("nothing")
        let done = try await app.finished(record.id, within: 120)
        chmod(base, 0o711)
        XCTAssertEqual(done.state, .failed)
        let error = done.error ?? ""
        XCTAssertTrue(error.lowercased().contains("permission denied"), "Podman's own reason stays: \(error)")
        XCTAssertTrue(error.contains("fix: chmod o+x \(base)"), error)
    }

    func freePort() throws -> UInt16 { try ClientCommandBinaryTests.freePort() }

    func isListening(_ port: UInt16) async -> Bool {
        guard let socket = try? await AsyncSocket.connect(to: .ipv4("127.0.0.1", port: port)) else { return false }
        socket.close()
        return true
    }
}
