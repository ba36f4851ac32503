@testable import BurrowKit
@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman
import Foundation
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// Nested user namespaces, tried from inside real burrows: refused by default, allowed when the
/// config asks (which proves the probe itself works in this image and kernel).
final class NestedNamespaceTests: XCTestCase {
    func testUnshareIsRefusedByDefaultAndWorksWhenAllowed() async throws {
        let refused = try await probe(allow: false)
        XCTAssertTrue(refused.contains("unshare exit=1"), refused)
        XCTAssertTrue(refused.contains("Operation not permitted"), refused)
        XCTAssertTrue(refused.contains("fork ok"), "plain processes must still start: \(refused)")
        let allowed = try await probe(allow: true)
        XCTAssertTrue(allowed.contains("unshare exit=0"), allowed)
        XCTAssertTrue(allowed.contains("fork ok"), allowed)
    }

    func testTheProfileKeepsPodmansRulesAndAddsOnlyTheNamespaceOnes() throws {
        let original = #"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read","clone","unshare","clone3"],"action":"SCMP_ACT_ALLOW"},{"names":["clone"],"action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_SYS_ADMIN"]}}]}"#
        let bytes = try SeccompProfile.blockingNestedUserNamespaces(Array(original.utf8))
        let profile = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        XCTAssertEqual(profile["defaultAction"] as? String, "SCMP_ACT_ERRNO")
        let rules = try XCTUnwrap(profile["syscalls"] as? [[String: Any]])
        XCTAssertEqual(rules.first?["names"] as? [String], ["read"])
        XCTAssertEqual(rules.count, 4, "the CAP_SYS_ADMIN clone rule is gone, three rules added")
        XCTAssertThrowsError(try SeccompProfile.install(in: "/tmp", defaults: ["/nonexistent/seccomp.json"]))
    }

    private func probe(allow: Bool) async throws -> String {
        let script = "unshare -Ur true; echo \"unshare exit=$?\"; sh -c 'echo fork ok'"
        let app = try await BurrowTestApp { config in
            config.sandbox.allowNestedNamespaces = allow
            config.agentCommand = ["sh", "-c", script + " 2>&1", "sh"]
            config.taskInput = .argument
        }
        do {
            let record = try await app.launch("nested namespaces")
            let events = try await app.readStream(record.id)
            await app.cleanUp()
            return events.filter { $0.kind == "log" }.compactMap { event -> String? in
                (try? JSONDecoder().decode(OutputEvent.LogLine.self, from: Data(event.data.utf8)))?.text
            }.joined(separator: "\n")
        } catch {
            await app.cleanUp()
            throw error
        }
    }
}
