@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import Foundation
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// Issue #27.8: an upstream nothing answers is one clear line (what, where, why), to the agent, in
/// the burrow's net event and from doctor: not Foundation's error dump, and the reason once.
final class UpstreamUnreachableTests: XCTestCase {
    func testAnUnreachableUpstreamIsOneClearLine() async throws {
        let gone = try ModelStandIn()
        let port = gone.port
        await gone.stop()
        let upstream = "http://127.0.0.1:\(port)"
        let log = NetLog()
        let endpoint = ModelEndpoint(upstream: URL(string: upstream)!, credential: Credential(value: "sk-ant-api03-unreachable"))
        let path = try TemporaryDirectory.make("unreachable") + "/proxy.sock"
        let proxy = try EgressProxy(socketPath: path, policy: EgressPolicy(allow: []), model: endpoint, allowPeer: { _ in true }, report: log.report)
        Task { await proxy.run() }
        defer { proxy.shutdown() }
        let body = #"{"model":"claude-opus-5-5","max_tokens":100,"stream":true,"messages":[]}"#
        let failed = try await withTimeout(20) { try await ProxyClient.exchange(path, ProxyClient.post("/v1/messages", body: body)) }
        XCTAssertEqual(failed.status, 502, failed.text)
        struct APIError: Decodable { struct Detail: Decodable { let message: String }; let error: Detail }
        let message = try JSONDecoder().decode(APIError.self, from: Data(failed.text.utf8)).error.message
        let events = try await log.waitFor(1)
        let reason = try XCTUnwrap(events.first?.reason)
        for text in [message, reason] {
            XCTAssertFalse(text.contains("NSURLErrorDomain") || text.contains("UserInfo") || text.contains("Error Domain"), text)
            XCTAssertFalse(text.contains("\n"), text)
            XCTAssertTrue(text.lowercased().contains("could not connect"), "says why: \(text)")
        }
        XCTAssertTrue(message.contains("cannot reach \(upstream): "), "says where: \(message)")
        XCTAssertEqual(message.components(separatedBy: "127.0.0.1:\(port)").count - 1, 1, "where, once: \(message)")
        XCTAssertEqual(message, "Burrow's model endpoint cannot reach \(upstream): \(reason)")

        var config = Config()
        setenv("BURROW_TEST_UNREACHABLE_KEY", "sk-ant-api03-unreachable", 1)
        config.credentials = CredentialsConfig(anthropic: .init(env: "BURROW_TEST_UNREACHABLE_KEY"), upstream: upstream)
        let checked = await ModelAccess.check(config)
        let verdict = try XCTUnwrap(checked)
        // curl times its own failure ("after 1 ms"), so two tries differ there and nowhere else.
        let untimed = { (text: String) in text.replacing(/after \d+ ms/, with: "after … ms") }
        guard case .unreachable(let doctorLine) = verdict else { return XCTFail("doctor: \(verdict)") }
        XCTAssertEqual(untimed(doctorLine), untimed(reason), "doctor says the same line")
    }
}
