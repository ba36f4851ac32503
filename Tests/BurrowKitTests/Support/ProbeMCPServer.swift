/// A tiny stdio MCP server in python3 (the agent image has it), committed into the test repo so it
/// reaches the burrow as ordinary workspace content. Its one tool, `stamp`, answers a fixed text
/// the tests look for in the tool result.
enum ProbeMCPServer {
    static let fileName = "probe_mcp.py"
    static let stamp = "probe-mcp-stamp-7731"

    static let source = #"""
    import json, sys

    def reply(message_id, result=None, error=None):
        body = {"jsonrpc": "2.0", "id": message_id}
        if error is None:
            body["result"] = result
        else:
            body["error"] = error
        sys.stdout.write(json.dumps(body) + "\n")
        sys.stdout.flush()

    for line in sys.stdin:
        try:
            message = json.loads(line)
        except ValueError:
            continue
        method, message_id = message.get("method"), message.get("id")
        if message_id is None:
            continue
        if method == "initialize":
            version = message.get("params", {}).get("protocolVersion", "2024-11-05")
            reply(message_id, {"protocolVersion": version, "capabilities": {"tools": {}},
                               "serverInfo": {"name": "probe", "version": "1.0"}})
        elif method == "tools/list":
            reply(message_id, {"tools": [{"name": "stamp", "description": "Returns the probe's stamp.",
                                          "inputSchema": {"type": "object", "properties": {"word": {"type": "string"}}}}]})
        elif method == "tools/call":
            word = message.get("params", {}).get("arguments", {}).get("word", "")
            reply(message_id, {"content": [{"type": "text", "text": "STAMP_VALUE " + word}]})
        elif method == "ping":
            reply(message_id, {})
        else:
            reply(message_id, error={"code": -32601, "message": "no method " + str(method)})
    """#.replacingOccurrences(of: "STAMP_VALUE", with: stamp)
}
