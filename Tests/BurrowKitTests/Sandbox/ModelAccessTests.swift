@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import Foundation
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// Issue #27.3 and #27.4: no credentials refuse a launch of Claude Code, saying how to configure them;
/// a key the upstream refuses is found by one real call, and ends a burrow at its first refused call.
final class ModelAccessTests: XCTestCase {
    static func refusing(_ request: HTTPRequest) -> HTTPResponse {
        HTTPResponse.bytes(Array(#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#.utf8),
                           contentType: "application/json", status: HTTPStatus(401, "Unauthorized"))
    }

    func testWithoutCredentialsALaunchOfClaudeCodeIsRefusedSayingHowToConfigureThem() async throws {
        let app = try await BurrowTestApp { config in
            config.network = NetworkConfig(mode: .allowlist)
            config.network.allow = []
        }
        let response = try await app.server.request("POST", "/api/burrows", headers: ["Content-Type": "application/json"],
                                                    body: #"{"repo": "demo", "task": "hello"}"#)
        XCTAssertEqual(response.status, 400, response.text)
        XCTAssertTrue(response.text.contains("no model credentials are configured"), response.text)
        XCTAssertTrue(response.text.contains(#"\"credentials\": {\"anthropic\": {\"env\": \"ANTHROPIC_API_KEY\"}}"#) && response.text.contains("claude setup-token"), response.text)
        let listed = await app.manager.list()
        XCTAssertTrue(listed.isEmpty, "nothing was launched")
        // The probe can pass: another agent, or no network on purpose, launches as before.
        var config = app.manager.config
        XCTAssertNotNil(ModelAccess.missingCredentials(config))
        config.agentCommand = ["bash", "-c"]
        XCTAssertNil(ModelAccess.missingCredentials(config))
        config.agentCommand = ["/usr/local/bin/claude", "-p"]
        config.network.mode = .none
        XCTAssertNil(ModelAccess.missingCredentials(config))
        config.network.mode = .allowlist
        config.credentials = CredentialsConfig(anthropic: .init(env: "X"))
        XCTAssertNil(ModelAccess.missingCredentials(config))
    }

    func testOneRealCallSaysWhetherTheKeyIsAcceptedOrRefused() async throws {
        let good = try ModelStandIn()
        let bad = try ModelStandIn(answer: Self.refusing)
        defer { Task { await good.stop(); await bad.stop() } }
        setenv("BURROW_TEST_ACCESS_KEY", "sk-ant-api03-access-key", 1)
        var config = Config()
        config.credentials = CredentialsConfig(anthropic: .init(env: "BURROW_TEST_ACCESS_KEY"), upstream: good.url)
        let accepted = await ModelAccess.check(config)
        XCTAssertEqual(accepted, .accepted(status: 200))
        XCTAssertEqual(good.requests.map { "\($0.method) \($0.target)" }, ["GET /v1/models?limit=1"], "one real call")
        XCTAssertEqual(good.requests.first?.headers["x-api-key"], "sk-ant-api03-access-key", "through the vault, which adds the key")

        config.credentials.upstream = bad.url
        let refused = await ModelAccess.check(config)
        XCTAssertEqual(refused, .refused(status: 401, message: "invalid x-api-key"))
        XCTAssertEqual(refused?.description, "the key was refused (401): invalid x-api-key")
        let findings = await DoctorCredentialCheck.findings(config)
        XCTAssertEqual(findings.last?.level, .fail, "\(findings)")
        XCTAssertTrue(findings.last?.text.contains("the key was refused (401)") == true, "\(findings)")

        config.credentials = CredentialsConfig()
        let missing = await DoctorCredentialCheck.findings(config)
        XCTAssertEqual(missing.map(\.level), [.fail], "launches would be refused: \(missing)")
    }

    /// The real binary: `doctor` fails on the refused key, `serve` says so at its start.
    func testTheBurrowBinarySaysTheKeyWasRefused() async throws {
        let binary = #filePath.components(separatedBy: "/Tests/")[0] + "/.build/debug/burrow"
        _ = try await PodmanTestEnvironment.client()
        let bad = try ModelStandIn(answer: Self.refusing)
        defer { Task { await bad.stop() } }
        let folder = try TemporaryDirectory.make("refused-key")
        defer { FileSystem.removeTree(folder) }
        FileSystem.setMode(folder, 0o711)
        let config = folder + "/burrow.json"
        try FileSystem.writeAtomically(Array(#"{"listen": "127.0.0.1:0", "podmanSocket": "\#(PodmanTestEnvironment.socket!)", "image": "\#(PodmanTestEnvironment.image)", "stateDir": "\#(folder)/state", "credentials": {"anthropic": {"env": "BURROW_TEST_BINARY_KEY"}, "upstream": "\#(bad.url)"}}"#.utf8), to: config)
        let environment = ["BURROW_TEST_BINARY_KEY": "sk-ant-api03-wrong", "BURROW_TOKEN": "refused-key-test"]
        let doctor = try await Subprocess.run([binary, "doctor", "--config", config], environment: environment, timeout: .seconds(120))
        XCTAssertEqual(doctor.status, 1, doctor.stdout)
        XCTAssertTrue(doctor.stdout.contains("FAIL credential: API key from $BURROW_TEST_BINARY_KEY: the key was refused (401) by \(bad.url): invalid x-api-key"), doctor.stdout)
        // serve runs for 5 s (then SIGTERM ends it cleanly) and says it in its first lines.
        let serve = try await Subprocess.run(["timeout", "5", binary, "serve", "--config", config], environment: environment, timeout: .seconds(30))
        XCTAssertTrue(serve.stdout.contains("open http://"), "it served: \(serve.stdout) \(serve.stderr)")
        XCTAssertTrue(serve.stdout.contains("warning: model credential: the key was refused (401): invalid x-api-key"), serve.stdout)
    }

    /// The agent would call 30 times, a second apart: the first 401 ends the burrow with the reason.
    func testABurrowWhoseKeyIsRefusedEndsAtTheFirstRefusalWithTheReason() async throws {
        let upstream = try ModelStandIn(answer: Self.refusing)
        defer { Task { await upstream.stop() } }
        setenv("BURROW_TEST_REFUSED_KEY", "sk-ant-api03-wrong-key", 1)
        let script = """
        echo '{"type":"system","subtype":"init","session_id":"key-session"}'
        i=0; while [ $i -lt 30 ]; do i=$((i+1))
          body='{"model":"claude-opus-5-5","max_tokens":16,"messages":[]}'
          printf 'POST /v1/messages HTTP/1.1\\r\\nHost: x\\r\\nContent-Type: application/json\\r\\nContent-Length: %s\\r\\nConnection: close\\r\\n\\r\\n%s' ${#body} "$body" | nc 127.0.0.1 3128 > /tmp/answer 2>&1
          echo "call $i: $(head -1 /tmp/answer | tr -d '\\r')"; grep -i 'x-should-retry' /tmp/answer | tr -d '\\r'
          sleep 1
        done
        """
        let app = try await BurrowTestApp { config in
            config.network = NetworkConfig(mode: .allowlist)
            config.network.allow = []
            config.credentials = CredentialsConfig(anthropic: .init(env: "BURROW_TEST_REFUSED_KEY"), upstream: upstream.url)
            config.agentCommand = ["sh", "-c", script, "sh"]
            config.taskInput = .argument
        }
        let started = Date()
        let record = try await app.launch("call the model")
        let done = try await app.finished(record.id, within: 60)
        let events = try await app.readStream(record.id)
        let model = events.filter { $0.kind == "net" }.compactMap { try? JSONDecoder().decode(NetEvent.self, from: Data($0.data.utf8)) }
            .filter { $0.phase == .model }
        XCTAssertEqual(model.map(\.status), [401], "the probe ran, and one call was all: \(model)")
        XCTAssertEqual(model.first?.keyRefused, true)
        XCTAssertEqual(model.first?.reason, "the key was refused (401)")
        XCTAssertEqual(upstream.requests.count, 1)
        XCTAssertLessThan(Date().timeIntervalSince(started), 25, "not the 30 s the agent would go on for")
        XCTAssertEqual(done.state, .stopped)
        XCTAssertTrue(done.stopReason?.contains("the key was refused (401)") == true, "\(String(describing: done.stopReason))")
        XCTAssertTrue(done.stopReason?.contains("credentials.anthropic") == true, "\(String(describing: done.stopReason))")
    }
}
