#!/usr/bin/env python3
"""A minimal stand-in of Anthropic's Messages API for runs by hand (benchmarks/newcomer.sh): every
POST /v1/messages gets one short text answer (streamed as server-sent events when asked), GET
/v1/models lists one model (what `burrow doctor` and `serve` ask to check a key), count_tokens
answers a number. Usage: messages-stand-in.py PORT [TEXT]"""
import json, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TEXT = sys.argv[2] if len(sys.argv) > 2 else "Hello from the stand-in model."


def event(name, data):
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, content_type="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path.startswith("/v1/models"):
            self.reply(200, json.dumps({"data": [{"type": "model", "id": "claude-stand-in", "display_name": "Stand-in"}],
                                        "has_more": False}).encode())
        else:
            self.reply(404, b'{"type":"error","error":{"type":"not_found_error","message":"not here"}}')

    def do_POST(self):
        request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        if self.path.startswith("/v1/messages/count_tokens"):
            return self.reply(200, b'{"input_tokens":1000}')
        if not self.path.startswith("/v1/messages"):
            return self.reply(404, b'{"type":"error","error":{"type":"not_found_error","message":"not here"}}')
        model = request.get("model", "claude-stand-in")
        usage = {"input_tokens": 1000, "output_tokens": 20, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
        if not request.get("stream"):
            return self.reply(200, json.dumps({"id": "msg_standin", "type": "message", "role": "assistant", "model": model,
                                               "content": [{"type": "text", "text": TEXT}], "stop_reason": "end_turn",
                                               "stop_sequence": None, "usage": usage}).encode())
        body = b"".join([
            event("message_start", {"type": "message_start", "message": {"id": "msg_standin", "type": "message", "role": "assistant",
                                    "model": model, "content": [], "stop_reason": None, "stop_sequence": None, "usage": usage}}),
            event("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
            event("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": TEXT}}),
            event("content_block_stop", {"type": "content_block_stop", "index": 0}),
            event("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                                    "usage": {"output_tokens": 20}}),
            event("message_stop", {"type": "message_stop"}),
        ])
        self.reply(200, body, "text/event-stream")


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
