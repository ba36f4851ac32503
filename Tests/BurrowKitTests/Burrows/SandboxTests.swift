@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import Foundation
import Synchronization
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// The sandbox, tested from inside a real burrow: the stand-in image runs a shell script instead of
/// the agent, and the test reads what it printed.
final class SandboxTests: XCTestCase {
    static let realKey = "sk-ant-api03-REAL-KEY-must-never-enter-a-burrow-1234"

    /// A plain HTTP server on the host loopback: stands in for an allowlisted site and for the API.
    final class HostSite: @unchecked Sendable {
        let server: HTTPServer
        let port: UInt16
        let keysSeen = KeyLog()

        final class KeyLog: Sendable {
            let values = Mutex<[String]>([])
            func withLock<R>(_ body: (inout [String]) -> R) -> R { values.withLock { body(&$0) } }
        }

        init() throws {
            let listener = try AsyncSocket.listening(on: .ipv4("127.0.0.1", port: 0))
            port = listener.localAddress!.port!
            let keys = keysSeen
            server = HTTPServer(listener: listener) { request in
                if request.path == "/v1/messages" {
                    keys.withLock { $0.append(request.headers["x-api-key"] ?? "none") }
                    var headers = HTTPHeaders()
                    headers.add("Content-Type", "text/event-stream")
                    return HTTPResponse(headers: headers, body: .stream { writer in
                        for index in 1...3 {
                            try await writer.write(Array("event: content_block_delta\ndata: {\"piece\":\(index)}\n\n".utf8))
                            try await Task.sleep(for: .milliseconds(50))
                        }
                        try await writer.write(Array("event: message_stop\ndata: {}\n\n".utf8))
                    })
                }
                return .text("hello from the allowed host, path \(request.path)")
            }
            let server = self.server
            Task { await server.run() }
        }
    }

    func testABurrowReachesOnlyItsAllowlistAndNeverSeesTheRealKey() async throws {
        let site = try HostSite()
        defer { Task { await site.server.shutdown() } }
        setenv("BURROW_TEST_REAL_KEY", Self.realKey, 1)
        let secret = try TemporaryDirectory.make("host-secret") + "/secret.txt"
        try FileSystem.writeAtomically(Array("host secret".utf8), to: secret, mode: 0o644)
        let port = site.port
        let script = """
        echo "== allowed"; wget -q -O - http://allowed.burrow.test:\(port)/hello 2>&1; echo
        echo "== tunnel"; (printf 'CONNECT allowed.burrow.test:\(port) HTTP/1.1\\r\\nHost: allowed.burrow.test:\(port)\\r\\n\\r\\nGET /tunnelled HTTP/1.0\\r\\nHost: allowed.burrow.test\\r\\n\\r\\n'; sleep 2) | nc 127.0.0.1 3128; echo
        echo "== denied"; wget -q -O - http://denied.burrow.test:\(port)/hello 2>&1; echo "denied exit=$?"
        echo "== denied port"; wget -q -O - http://allowed.burrow.test:\(port + 1)/ 2>&1; echo "port exit=$?"
        echo "== raw"; nc -w 2 93.184.216.34 80 </dev/null 2>&1; echo "raw exit=$?"
        echo "== dns"; nslookup example.com 2>&1 | tail -2; echo "dns exit=$?"
        echo "== host loopback"; wget -q -O - -Y off http://127.0.0.1:\(port)/hello 2>&1; echo "loopback exit=$?"
        echo "== model"; (printf 'POST /v1/messages HTTP/1.1\\r\\nHost: x\\r\\nx-api-key: '"$ANTHROPIC_API_KEY"'\\r\\nContent-Type: application/json\\r\\nContent-Length: 2\\r\\nConnection: close\\r\\n\\r\\n{}'; sleep 3) | nc 127.0.0.1 3128; echo
        echo "== status"; grep -E '^(Uid|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs)' /proc/self/status
        echo "== root"; su -c id root </dev/null 2>&1; echo "su exit=$?"; sudo -n id 2>&1; echo "sudo exit=$?"
        echo "== host path"; cat \(secret) 2>&1; echo "secret exit=$?"
        echo "== mounts"; cat /proc/self/mountinfo
        echo "== environ"; env; cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n'
        """
        let app = try await BurrowTestApp { config in
            config.network = NetworkConfig(mode: .allowlist)
            config.network.allow = ["allowed.burrow.test:\(port)"]
            config.network.resolve = ["allowed.burrow.test": "127.0.0.1", "denied.burrow.test": "127.0.0.1"]
            config.credentials = CredentialsConfig(anthropic: .init(env: "BURROW_TEST_REAL_KEY"), upstream: "http://127.0.0.1:\(port)")
            config.agentCommand = ["sh", "-c", script, "sh"]
            config.taskInput = .argument
        }
        let record = try await app.launch("sandbox probe")
        let events = try await app.readStream(record.id)
        let output = events.filter { $0.kind == "log" }.compactMap { event -> String? in
            (try? JSONDecoder().decode(OutputEvent.LogLine.self, from: Data(event.data.utf8)))?.text
        }
        func section(_ name: String) -> String {
            guard let start = output.firstIndex(of: "== \(name)") else { return "" }
            return output[(start + 1)...].prefix { !$0.hasPrefix("== ") }.joined(separator: "\n")
        }
        if ProcessInfo.processInfo.environment["BURROW_TEST_VERBOSE"] != nil { print(output.joined(separator: "\n")); print(events.filter { $0.kind == "net" }.map(\.data).joined(separator: "\n")) }
        XCTAssertTrue(section("allowed").contains("hello from the allowed host, path /hello"), section("allowed"))
        XCTAssertTrue(section("tunnel").contains("200 Connection Established") && section("tunnel").contains("path /tunnelled"), section("tunnel"))
        XCTAssertTrue(section("denied").contains("403") && section("denied").contains("denied exit=1"), section("denied"))
        XCTAssertTrue(section("denied port").contains("port exit=1"), section("denied port"))
        XCTAssertTrue(section("raw").contains("raw exit=1"), section("raw"))
        XCTAssertFalse(section("dns").contains("Address"), section("dns"))
        XCTAssertTrue(section("host loopback").contains("loopback exit=1"), section("host loopback"))
        let model = section("model")
        XCTAssertTrue(model.contains("HTTP/1.1 200"), model)
        XCTAssertTrue(model.contains("{\"piece\":1}") && model.contains("{\"piece\":3}") && model.contains("message_stop"), model)
        XCTAssertEqual(site.keysSeen.withLock { $0 }, [Self.realKey], "the upstream got the real key, once")
        let status = section("status")
        XCTAssertFalse(status.contains("Uid:\t0"), status)
        for capability in ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"] {
            XCTAssertTrue(status.contains("\(capability):\t0000000000000000"), "\(capability) empty: \(status)")
        }
        XCTAssertTrue(status.contains("NoNewPrivs:\t1"), status)
        XCTAssertTrue(section("host path").contains("secret exit=1"), section("host path"))
        // sandbox.allowRoot is false: no way to root inside.
        XCTAssertFalse(section("root").contains("su exit=0") || section("root").contains("sudo exit=0"), section("root"))
        XCTAssertFalse(section("root").contains("uid=0"), section("root"))
        XCTAssertFalse(output.joined().contains("host secret"))
        // Host paths mounted: only the burrow's socket folder and the forwarder (both read-only).
        let binds = section("mounts").split(separator: "\n").filter { $0.contains(" /run/burrow") }
        XCTAssertEqual(binds.count, 2, section("mounts"))
        XCTAssertTrue(binds.allSatisfy { $0.contains(" ro,") || $0.contains(" ro ") }, "read-only: \(binds)")
        XCTAssertTrue(section("environ").contains("ANTHROPIC_API_KEY=\(Credential.placeholder)"))
        // The real key: nowhere in the container's environment, its inspect output, or the event log.
        XCTAssertFalse(output.joined(separator: "\n").contains(Self.realKey))
        let inspect = try await app.manager.podman.rawInspect(record.container)
        XCTAssertFalse(inspect.contains(Self.realKey))
        XCTAssertTrue(inspect.contains("\"CapDrop\"") && inspect.contains("no-new-privileges"), "hardening visible in inspect")
        let eventsFile = try String(contentsOfFile: app.stateDir + "/burrows/\(record.id)/events.ndjson", encoding: .utf8)
        XCTAssertFalse(eventsFile.contains(Self.realKey))
        // Every connection is in the stream: the denial too, and the model request with its status.
        let net = events.filter { $0.kind == "net" }.map(\.data)
        XCTAssertTrue(net.contains { $0.contains("\"phase\":\"denied\"") && $0.contains("denied.burrow.test") }, "\(net)")
        XCTAssertTrue(net.contains { $0.contains("\"phase\":\"closed\"") && $0.contains("allowed.burrow.test") && $0.contains("\"bytesReceived\"") }, "\(net)")
        XCTAssertTrue(net.contains { $0.contains("\"phase\":\"model\"") && $0.contains("\"status\":200") }, "\(net)")
        let finished = try await app.finished(record.id)
        XCTAssertEqual(finished.model?.requests, 1)
        XCTAssertEqual(finished.model?.statuses["200"], 1)
        XCTAssertEqual(finished.network, "allowlist")
        await app.cleanUp()
    }
}
