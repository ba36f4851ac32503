@testable import BurrowKit
import XCTest

/// What the model endpoint reads of a body to refuse server-side work, read as the agent could write it.
final class ServerToolsTests: XCTestCase {
    func terms(_ body: String) -> Result<RequestTerms, RequestTerms.Unreadable> { RequestTerms.scan(Array(body.utf8)) }

    func refusal(_ body: String, beta: String = "", allowed: [String] = []) -> String? {
        guard case .success(let read) = terms(body) else { return "unreadable" }
        return ServerTools(allowed).refusal(beta: beta, terms: read)
    }

    func testClientToolsAndClaudeCodesBetasPass() {
        let body = #"{"model":"m","tools":[{"name":"Bash","input_schema":{"type":"object"}},{"type":"custom","name":"x"},{"type":"bash_20250124","name":"bash"},{"type":"text_editor_20250728","name":"e"},{"type":"memory_20250818","name":"memory"}],"max_tokens":3}"#
        XCTAssertEqual(try terms(body).get().toolTypes, ["custom", "bash_20250124", "text_editor_20250728", "memory_20250818"])
        XCTAssertEqual(try terms(body).get().maxTokens, 3)
        let claudeCode = "claude-code-20250219,interleaved-thinking-2025-05-14,context-management-2025-06-27,per-turn-control-2026-07-01,"
            + "mid-conversation-tool-changes-2026-07-01,advanced-tool-use-2025-11-20,effort-2025-11-24, oauth-2025-04-20"
        XCTAssertNil(refusal(body, beta: claudeCode))
        XCTAssertNil(refusal(#"{"tools":null}"#))
    }

    func testServerToolsConnectorsAndTheirBetasAreRefusedUnlessNamed() {
        for type in ["web_search_20250305", "web_fetch_20250910", "code_execution_20250825", "advisor_20260301", "tool_search_tool_regex_20251119",
                     "mcp_toolset", "something_new_20270101", ""] {
            let body = #"{"tools":[{"type":"\#(type)","name":"t"}]}"#
            XCTAssertTrue(refusal(body)?.contains("\"\(type)\"") == true, type)
        }
        XCTAssertTrue(refusal(#"{"mcp_servers":[]}"#)?.contains("lists \"mcp\"") == true)
        XCTAssertTrue(refusal(#"{"container":"c1"}"#)?.contains("lists \"code_execution\"") == true)
        XCTAssertTrue(refusal("{}", beta: "web-fetch-2025-09-10")?.contains("web-fetch-2025-09-10") == true)
        XCTAssertTrue(refusal("{}", beta: "claude-code-20250219,files-api-2025-04-14")?.contains("files-api") == true)
        for flag in ["managed-agents-2026-04-01", "agent-memory-2026-07-22", "mcp-servers-2025-12-04", "message-batches-2024-09-24", "fast-mode-2026-02-01"] {
            XCTAssertNotNil(refusal("{}", beta: flag), flag)
        }
        // Named: that tool and its betas only.
        XCTAssertNil(refusal(#"{"tools":[{"type":"web_search_20250305"}]}"#, beta: "web-search-2025-03-05", allowed: ["web_search"]))
        XCTAssertNotNil(refusal(#"{"tools":[{"type":"web_fetch_20250910"}]}"#, allowed: ["web_search"]))
        XCTAssertNil(refusal(#"{"mcp_servers":[],"tools":[{"type":"mcp_toolset"}]}"#, beta: "mcp-client-2025-11-20", allowed: ["mcp"]))
        XCTAssertNil(refusal(#"{"container":"c","tools":[{"type":"code_execution_20250825"}]}"#, beta: "code-execution-2025-08-25", allowed: ["code_execution"]))
    }

    func testWhatCouldReadOtherwiseUpstreamIsUnreadable() {
        for body in [#"{"mcp\u005fservers":[]}"#, #"{"tools":[{"t\u0079pe":"web_fetch_20250910"}]}"#, #"{"tools":[{"type":"web\u005ffetch_20250910"}]}"#,
                     #"{"tools":[{"type":"custom","type":"web_fetch_20250910"}]}"#, #"{"tools":[],"tools":[{"type":"web_fetch_20250910"}]}"#,
                     #"{"mcp_servers":[],"mcp_servers":[]}"#, #"{"tools":{"type":"web_fetch_20250910"}}"#, #"{"tools":["web_fetch"]}"#,
                     #"{"tools":[{"type":1}]}"#, #"{"tools":[{"type":"x"}"#] {
            guard case .failure = terms(body) else { return XCTFail("read: \(body)") }
        }
    }

    func testTheConfigKeyIsReadAndChecked() throws {
        func parse(_ json: String) throws -> Config { try ConfigLoader.parse(Array(json.utf8), file: "test.json") }
        let config = try parse(#"{"credentials": {"anthropic": {"env": "A", "serverTools": ["web_search"]}}}"#)
        XCTAssertEqual(config.credentials.anthropic?.serverTools, ["web_search"])
        XCTAssertThrowsError(try parse(#"{"credentials": {"anthropic": {"env": "A", "serverTool": ["web_search"]}}}"#)) { XCTAssertTrue("\($0)".contains("serverTool")) }
        XCTAssertThrowsError(try parse(#"{"credentials": {"anthropic": {"env": "A", "serverTools": ["Web Fetch"]}}}"#)) {
            XCTAssertTrue("\($0)".contains("credentials.anthropic.serverTools"), "\($0)")
        }
    }

    func testConfigNamesAreChecked() {
        XCTAssertNil(ServerTools.invalidEntry(["web_search", "mcp", "code_execution"]))
        XCTAssertEqual(ServerTools.invalidEntry(["web_search", "Web Fetch"]), "Web Fetch")
        XCTAssertEqual(ServerTools.invalidEntry([""]), "")
    }

    func testTheModelHostIsReachedOnlyThroughTheEndpointUnlessListedExactly() {
        let policy = EgressPolicy(allow: ["*.anthropic.com", "github.com"], modelHosts: ["api.anthropic.com"])
        XCTAssertTrue(policy.refusal(host: "api.anthropic.com", port: 443)?.contains("use the model endpoint (ANTHROPIC_BASE_URL)") == true)
        XCTAssertNil(policy.refusal(host: "github.com", port: 443))
        XCTAssertNil(EgressPolicy(allow: ["api.anthropic.com"], modelHosts: ["api.anthropic.com"]).refusal(host: "api.anthropic.com", port: 443))
        var config = Config()
        XCTAssertNil(EgressPolicy.modelHostWarning(config))
        config.network.allow.append("api.anthropic.com")
        XCTAssertTrue(EgressPolicy.modelHostWarning(config)?.contains("api.anthropic.com") == true)
        for host in ["api.anthropic.com", "storage.googleapis.com", "o1.ingest.sentry.io", "statsig.anthropic.com"] {
            XCTAssertNotNil(EgressPolicy(allow: NetworkConfig.defaultAllow).refusal(host: host, port: 443), host)
        }
    }
}
