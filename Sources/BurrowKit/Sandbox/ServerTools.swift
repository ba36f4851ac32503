import BurrowSystem
import BurrowPodman

/// What a model request may have Anthropic's servers do on the agent's behalf. Server tools (web
/// search and fetch, code execution, the MCP connector, …) run on Anthropic's side, with the real
/// key, around the burrow's allowlist: a `web_fetch` tool or an `mcp_servers` entry naming an
/// attacker's URL carries whatever the agent puts in it out of the box. So only client-executed
/// tools pass, and only the `anthropic-beta` values Claude Code itself sends, unless the user names
/// a server tool in `credentials.anthropic.serverTools`.
///
/// Tool kinds as Anthropic's tool reference lists them (platform.claude.com/docs/en/agents-and-tools/
/// tool-use/tool-reference): client tools `bash_*`, `text_editor_*`, `computer_*`, `memory_*`, and
/// tools of the application's own (no `type`, or `custom`); server tools `web_search_*`,
/// `web_fetch_*`, `code_execution_*`, `advisor_*`, `tool_search_tool_*`, `mcp_toolset`. Anything not
/// known as a client tool is treated as a server tool.
public struct ServerTools: Sendable, Equatable {
    /// The names the user allowed (`web_search`, `web_fetch`, `code_execution`, `mcp`, …).
    public let allowed: [String]

    public init(_ allowed: [String] = []) {
        self.allowed = allowed.map { $0.lowercased() }
    }

    static let configKey = "credentials.anthropic.serverTools"

    /// Tool types the application runs itself: the tool's effect happens in the box, through the
    /// proxy that bounds it.
    static let clientToolPrefixes = ["bash_", "text_editor_", "computer_", "memory_"]

    /// `anthropic-beta` values that change how the model answers, not what Anthropic's servers reach:
    /// every one the real Claude Code 2.1.330 sent (API key and OAuth, opus, sonnet and haiku, seen by
    /// a stand-in upstream), and those of the same kind its binary names (caching, thinking, context,
    /// output, token counting) or that it may send (1M context, tool streaming, client computer use).
    /// Not here, though the binary names them: the Files, Batches and managed-agents APIs, memory,
    /// MCP, remote-session, web-search, tool-search and advisor betas (server-side work or stores),
    /// and fast mode (priced above the table the budget reserves by).
    static let betas: Set<String> = [
        // Sent by Claude Code 2.1.330.
        "claude-code-20250219", "oauth-2025-04-20", "interleaved-thinking-2025-05-14", "context-management-2025-06-27",
        "per-turn-control-2026-07-01", "mid-conversation-tool-changes-2026-07-01", "advanced-tool-use-2025-11-20",
        "effort-2025-11-24", "thinking-display-updates-2026-08-18", "thinking-token-count-2026-05-13", "extended-cache-ttl-2025-04-11",
        // Named by its binary, of the same kind.
        "context-1m-2025-08-07", "token-counting-2024-11-01", "structured-outputs-2025-11-13", "structured-outputs-2025-12-15",
        "prompt-caching-scope-2026-01-05", "prompt-caching-evict-2026-05-12", "cache-keepalive-2026-09-03", "cache-diagnosis-2026-04-07",
        "redact-thinking-2026-02-12", "thinking-resumption-2026-07-17", "thinking-binding-controls-2026-08-01", "task-budgets-2026-03-13",
        "mid-conversation-system-2026-04-07", "mid-conversation-system-clear-at-2026-08-21", "context-hint-2026-04-09",
        "claude-code-side-query-2026-09-29", "timing-2026-09-09", "tool-provenance-2026-10-26",
        // Older ones of the same kind, and the client-executed computer-use tool's.
        "fine-grained-tool-streaming-2025-05-14", "token-efficient-tools-2025-02-19", "prompt-caching-2024-07-31", "output-128k-2025-02-19",
        "computer-use-2025-01-24", "computer-use-2025-11-24",
    ]

    /// Nil when the request may go; otherwise why not, naming the field and the key that would allow it.
    func refusal(beta: String, terms: RequestTerms) -> String? {
        for field in terms.serverFields.sorted() where !allows(field: field) {
            let name = field == "mcp_servers" ? "mcp" : "code_execution"
            return "the request's \"\(field)\" would have Anthropic's servers act for the agent outside the burrow's allowlist; "
                + "Burrow's model endpoint refuses it unless \(Self.configKey) lists \"\(name)\""
        }
        for type in terms.toolTypes.sorted() where !allows(toolType: type) {
            let name = Self.serverToolName(type)
            return "the request's tools entry of type \"\(type)\" is a server tool, run by Anthropic outside the burrow's allowlist; "
                + "Burrow's model endpoint refuses it unless \(Self.configKey) lists \"\(name)\""
        }
        for value in beta.split(separator: ",") {
            let flag = value.trimmingSpaces.lowercased()
            guard !flag.isEmpty, !allows(beta: flag) else { continue }
            return "the anthropic-beta value \"\(flag.prefix(100))\" is not on Burrow's list of betas the agent may ask for; "
                + "a server tool's beta is allowed when \(Self.configKey) lists the tool (e.g. \"web_fetch\" for web-fetch-…)"
        }
        return nil
    }

    func allows(toolType type: String) -> Bool {
        if type == "custom" || Self.clientToolPrefixes.contains(where: { type.hasPrefix($0) }) { return true }
        if type == "mcp_toolset" { return allowed.contains("mcp") }
        return allowed.contains { type == $0 || type.hasPrefix($0 + "_") }
    }

    func allows(field: String) -> Bool {
        allowed.contains(field == "mcp_servers" ? "mcp" : "code_execution")
    }

    func allows(beta flag: String) -> Bool {
        if Self.betas.contains(flag) { return true }
        return allowed.contains { name in
            let prefix = name == "mcp" ? "mcp-client" : String(name.map { $0 == "_" ? "-" : $0 })
            return flag.hasPrefix(prefix + "-")
        }
    }

    /// The name that would allow a tool type: its type up to the version date (`web_fetch_20250910` → `web_fetch`).
    static func serverToolName(_ type: String) -> String {
        if type == "mcp_toolset" { return "mcp" }
        var parts = type.split(separator: "_")
        if let last = parts.last, last.allSatisfy(\.isNumber), parts.count > 1 { parts.removeLast() }
        return parts.joined(separator: "_")
    }

    /// The first entry that is not a tool name (letters, digits, `_`), for config validation.
    public static func invalidEntry(_ entries: [String]) -> String? {
        entries.first { entry in
            entry.isEmpty || entry.count > 64 || !entry.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == UInt8(ascii: "_") }
        }
    }
}
