@testable import BurrowSystem
@testable import BurrowPodman
@testable import BurrowKit
import Foundation
import XCTest

/// A restarted Burrow makes the burrow's CA afresh (its key lives in memory only) and writes the new
/// bundle. The image's system store is a bind mount of that one file, which pins the file it was
/// made on: a bundle renamed over it left the box's system store trusting the old CA, whose
/// certificates the new proxy no longer presents.
final class BoxTrustRestartTests: XCTestCase {
    func testTheBoxsSystemStoreFollowsTheCAOfARestartedBurrow() async throws {
        let configure: (inout Config) -> Void = { config in
            config.network = NetworkConfig(mode: .allowlist)
            config.network.allow = ["service.trust.test:443"]
            config.network.rules = ["service.trust.test:443": ["GET /**"]]  // a rule: its traffic is intercepted
            config.agentCommand = ["sh", "-c", "sleep 300", "sh"]
            config.taskInput = .argument
        }
        let first = try await BurrowTestApp(configure: configure)
        let record = try await first.launch("wait")
        let running = try await withTimeout(90) {
            while true {
                let now = try await first.record(record.id)
                if now.state == .running, now.user != nil { return now }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        let onHost = first.manager.socketsDirectory + "/" + record.id + "/" + BoxTrust.bundleName
        let before = try FileSystem.readFile(onHost)
        let inside = try await Self.systemStore(running.container)
        XCTAssertEqual(inside, before, "the probe reads the box's system store")

        await first.manager.shutdown()
        let second = try await BurrowTestApp(cacheName: first.cacheName, stateDir: first.stateDir, repoPath: first.repoPath, configure: configure)
        let after = try await withTimeout(60) {
            while true {
                if let now = try? FileSystem.readFile(onHost), now != before { return now }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        let insideAfter = try await Self.systemStore(running.container)
        XCTAssertTrue(insideAfter == after, "the box's system store holds the restarted Burrow's CA; it holds "
                      + (insideAfter == before ? "the bundle from before the restart" : "something else (\(insideAfter.count) bytes)"))
        _ = try await second.manager.stop(record.id)
    }

    static func systemStore(_ container: String) async throws -> [UInt8] {
        let result = try await Subprocess.run(["podman", "--url", "unix://" + PodmanTestEnvironment.socket!, "exec", container, "cat", BoxTrust.systemStore],
                                              timeout: .seconds(30))
        XCTAssertEqual(result.status, 0, result.stderr)
        return Array(result.stdout.utf8)
    }
}
