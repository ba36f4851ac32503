@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowKit
import Foundation
import XCTest
@testable import BurrowWeb

/// A launch's own `network.rules` and `credentialServices` only narrow what the repo's burrows get:
/// widening or unknown names are refused with a 400 naming the field; what is accepted holds inside
/// the burrow (the agent, a shell script, tries the path its launch denied and lists its placeholders).
final class LaunchNarrowingTests: XCTestCase {
    func testALaunchMayAddDenyRulesAndDropCredentialServicesButNotWiden() async throws {
        let site = try RecordingUpstream()
        defer { site.stop() }
        let host = "narrow.test:\(site.port)"
        let app = try await BurrowTestApp { config in
            config.network = NetworkConfig(mode: .allowlist)
            config.network.allow = [host]
            config.network.rules = [host: ["GET /**"]]
            config.network.resolve = ["narrow.test": "127.0.0.1"]
            config.credentials.services = ["one", "two"].map { name in
                ServiceCredential(name: name, hosts: ["\(name).example.test"], header: "Authorization", format: "Bearer {secret}",
                                  source: .init(env: "BURROW_TEST_UNSET_\(name.uppercased())"), placeholder: "\(name.uppercased())_TOKEN")
            }
            config.agentCommand = ["sh", "-c"]
            config.taskInput = .argument
        }
        let script = """
        for p in /public/a /secret/b; do echo "== $p"; wget -q -O - http://\(host)$p 2>&1; echo "$p exit=$?"; done
        echo "ONE=${ONE_TOKEN:-unset} TWO=${TWO_TOKEN:-unset}"
        """
        func launch(_ extra: String) async throws -> RawClient.Response {
            let body = String(decoding: try JSONEncoder().encode(["repo": "demo", "task": script]), as: UTF8.self).dropLast() + ", \(extra)}"
            return try await app.server.request("POST", "/api/burrows", headers: ["Content-Type": "application/json"], body: String(body))
        }
        let widening = try await launch(#""network": {"rules": {"\#(host)": ["deny GET /x/**", "POST /**"]}}"#)
        XCTAssertEqual(widening.status, 400, widening.text)
        XCTAssertTrue(widening.text.contains(#"network.rules[\"\#(host)\"]"#) && widening.text.contains("would widen"), widening.text)
        let malformed = try await launch(#""network": {"rules": {"evil.test/x": ["deny GET /"]}}"#)
        XCTAssertEqual(malformed.status, 400, malformed.text)
        XCTAssertTrue(malformed.text.contains("network.rules"), malformed.text)
        let unknown = try await launch(#""credentialServices": ["one", "three"]"#)
        XCTAssertEqual(unknown.status, 400, unknown.text)
        XCTAssertTrue(unknown.text.contains("credentialServices") && unknown.text.contains("'three'") && unknown.text.contains("one, two"), unknown.text)
        let groupUnknown = try await launch(#""attempts": 2, "credentialServices": ["three"]"#)
        XCTAssertEqual(groupUnknown.status, 400, "a group's attempts are narrowed alike: \(groupUnknown.text)")
        let groupWidening = try await launch(#""attempts": 2, "network": {"rules": {"\#(host)": ["POST /**"]}}"#)
        XCTAssertEqual(groupWidening.status, 400, groupWidening.text)
        let listed = await app.manager.list()
        XCTAssertTrue(listed.isEmpty, "nothing launched by a refused request")
        let launched = try await launch(#""network": {"rules": {"\#(host)": ["deny GET /secret/**"]}}, "credentialServices": ["one"]"#)
        XCTAssertEqual(launched.status, 201, launched.text)
        let record = try JSONDecoder().decode(BurrowRecord.self, from: Data(launched.body))
        XCTAssertEqual(record.launchRules, [host: ["deny GET /secret/**"]])
        XCTAssertEqual(record.credentialServices, ["one"])
        let events = try await app.readStream(record.id)
        let output = AskAttackTests.output(events).joined(separator: "\n")
        XCTAssertTrue(output.contains("/public/a exit=0"), output)
        XCTAssertTrue(output.contains("/secret/b exit=1"), "the launch's deny entry holds: \(output)")
        XCTAssertTrue(output.contains("ONE=burrow-placeholder-") && output.contains("TWO=unset"), "only the chosen service's placeholder: \(output)")
        XCTAssertEqual(site.heads.withLock { $0.map(\.target) }, ["/public/a"])
        let net = events.filter { $0.kind == "net" }.compactMap { try? JSONDecoder().decode(NetEvent.self, from: Data($0.data.utf8)) }
        XCTAssertTrue(net.contains { $0.path == "/secret/b" && $0.phase == .denied && $0.rule?.contains("deny GET /secret/**") == true }, "\(net)")
        await app.cleanUp()
    }
}
