@testable import BurrowKit
@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman
import Foundation
import Glibc
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// Only the burrow can use its socket: another local user who finds the path (it shows in `ps` and
/// mountinfo) is refused before a byte is read, and the upstream never sees the key.
final class SocketPeerTests: XCTestCase {
    static let secret = "sk-ant-api03-socket-peer-test-secret"

    func testAnotherLocalUserIsRefusedAndABurrowUidIsServed() async throws {
        guard geteuid() == 0 else { throw XCTSkip("creating a second local user needs root") }
        guard let podmanSocket = PodmanTestEnvironment.socket else { throw XCTSkip("no test Podman (eval scripts/test-env.sh)") }
        let intruder = "burrowintruder"
        if getpwnam(intruder) == nil { _ = try await Subprocess.check(["useradd", "-M", "-s", "/usr/sbin/nologin", intruder]) }
        let intruderUID = try XCTUnwrap(getpwnam(intruder)).pointee.pw_uid

        // The peers Burrow computes for this Podman: its user, that user's subordinate uids.
        let peers = BurrowPeers.forPodman(socketPath: podmanSocket)
        XCTAssertTrue(peers.checks)
        XCTAssertFalse(peers.allows(intruderUID))
        var status = stat()
        XCTAssertEqual(stat(podmanSocket, &status), 0)
        let subordinate = BurrowPeers.subordinateRanges(String(decoding: try FileSystem.readFile("/etc/subuid"), as: UTF8.self),
                                                        user: String(cString: getpwuid(status.st_uid).pointee.pw_name), uid: status.st_uid)
        let range = try XCTUnwrap(subordinate.first, "the Podman user has no /etc/subuid range")
        // Container uid 1000 (an agent user) is this host uid under rootless Podman.
        let agentUID = range.lowerBound + 999
        XCTAssertTrue(peers.allows(agentUID))

        let upstream = try RecordingUpstream()
        let model = ModelEndpoint(upstream: URL(string: "http://127.0.0.1:\(upstream.port)")!, credential: Credential(value: Self.secret))
        let harness = try ProxyHarness(model: model, allowPeer: { peers.allows($0) })
        XCTAssertEqual(chmod(harness.folder, 0o711), 0)  // as Burrow lays it out: Podman's user must traverse it
        let request = ["curl", "-sS", "-m", "5", "--unix-socket", harness.path, "-H", "content-type: application/json",
                       "-H", "anthropic-version: 2023-06-01", "-d", "{}", "http://burrow/v1/messages"]

        let refused = try await Subprocess.run(["runuser", "-u", intruder, "--"] + request)
        XCTAssertNotEqual(refused.status, 0, "the intruder got an answer: \(refused.stdout)")
        let denied = await ProxyHarness.eventually { harness.deniedReasons.contains("peer uid \(intruderUID) is not this burrow") }
        XCTAssertTrue(denied, "the intruder's connection never reached the peer check: \(harness.deniedReasons) / \(refused.stderr)")
        XCTAssertEqual(upstream.heads.withLock { $0.count }, 0, "the upstream saw the intruder's request")

        let served = try await Subprocess.run(["setpriv", "--reuid=\(agentUID)", "--regid=\(agentUID)", "--clear-groups", "--"] + request)
        XCTAssertEqual(served.status, 0, "a burrow uid was not served: \(served.stderr)")
        let heads = upstream.heads.withLock { $0 }
        XCTAssertEqual(heads.count, 1)
        XCTAssertEqual(heads.first?.headers["x-api-key"], Self.secret, "the probe's request did not carry the key upstream")
        XCTAssertEqual(heads.first?.target, "/v1/messages")

        try await harness.stop()
        upstream.stop()
    }

    func testSubordinateRangesParseNamesAndUids() {
        let text = "alice:100000:65536\n1001:300000:10\nbob:200000:65536\nbroken:x:1\nalice:5:0\n"
        XCTAssertEqual(BurrowPeers.subordinateRanges(text, user: "alice", uid: 1001), [100000...165535, 300000...300009])
        let peers = BurrowPeers(uids: [1001...1001, 100000...165535])
        XCTAssertTrue(peers.allows(100999))
        XCTAssertFalse(peers.allows(200000))
        XCTAssertFalse(peers.allows(0))
    }
}
