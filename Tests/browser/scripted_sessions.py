"""Recorded Claude Code stream-json sessions (the shapes of /work/shared/REFERENCE.md and Claude Code
2.1), replayed by a Burrow whose agent is `sh -c` and whose task is `cat <file>`: the backend parses
them as it would the real CLI's stdout. They carry attacks: markup and `javascript:` links in agent
text and tool output."""
import json

SESSION = "5b7c2a1e-0000-4000-8000-000000000001"
XSS_TEXT = "<img src=x onerror=window.__xss=1>"


def stamp(second):
    return f"2026-11-24T09:30:{second:02d}.000Z"


def assistant(second, *content):
    return {"type": "assistant", "message": {"role": "assistant", "content": list(content)}, "session_id": SESSION,
            "uuid": f"a-{second}", "timestamp": stamp(second), "parent_tool_use_id": None}


def tool_result(second, tool_id, content, is_error=False):
    return {"type": "user", "message": {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool_id, "content": content, "is_error": is_error}]},
            "session_id": SESSION, "uuid": f"u-{second}", "timestamp": stamp(second)}


INIT = {"type": "system", "subtype": "init", "session_id": SESSION, "cwd": "/workspace", "model": "claude-opus-5-5",
        "tools": ["Bash", "Edit", "Write", "Read", "TodoWrite"], "permissionMode": "bypassPermissions", "claude_code_version": "2.1.330"}

FINAL = "Done: the parser handles **ISO weeks** now, and `test_week` passes."

MARKDOWN = ("I'll fix the **date parser** in `dates.py`. Plan:\n\n1. Read the failing test\n2. Fix `parse_week`\n3. Run the tests\n\n"
            "```python\nassert parse('2026-W48') == date(2026, 11, 23)\n```\n\n"
            f"See [the ISO 8601 notes](https://example.com/iso-8601) and [this](javascript:window.__xss=2) — {XSS_TEXT}")

OLD = "def parse_week(text):\n    year, week = text.split('-W')\n    return date(int(year), 1, 1)\n"
NEW = "def parse_week(text):\n    year, week = text.split('-W')\n    return date.fromisocalendar(int(year), int(week), 1)\n"
WRITTEN = "\n".join(f"def test_case_{n}():\n    assert parse_week('2026-W{n:02d}')" for n in range(1, 16))
TODOS = [{"content": "Read the failing test", "status": "completed", "activeForm": "Reading the failing test"},
         {"content": "Fix parse_week", "status": "in_progress", "activeForm": "Fixing parse_week"},
         {"content": "Run the tests", "status": "pending", "activeForm": "Running the tests"}]
PYTEST = "Exit code 1\n" + "\n".join(f"tests/test_dates.py::test_case_{n} PASSED" for n in range(1, 20)) + \
    f"\nFAILED tests/test_dates.py::test_week - AssertionError {XSS_TEXT}\n1 failed, 19 passed in 0.31s"

RICH = [
    INIT,
    assistant(1, {"type": "thinking", "thinking": "The week number is ignored; fromisocalendar does this."}),
    assistant(2, {"type": "text", "text": MARKDOWN}),
    {"type": "system", "subtype": "api_retry", "attempt": 1, "max_retries": 10, "retry_delay_ms": 1800, "error_status": 529,
     "error": "overloaded", "session_id": SESSION},
    assistant(5, {"type": "tool_use", "id": "toolu_todo", "name": "TodoWrite", "input": {"todos": TODOS}}),
    tool_result(5, "toolu_todo", "Todos have been modified successfully."),
    assistant(6, {"type": "tool_use", "id": "toolu_read", "name": "Read", "input": {"file_path": "/workspace/dates.py"}}),
    tool_result(6, "toolu_read", "     1\tdef parse_week(text):\n     2\t    year, week = text.split('-W')"),
    assistant(8, {"type": "tool_use", "id": "toolu_edit", "name": "Edit", "input": {"file_path": "/workspace/dates.py", "old_string": OLD, "new_string": NEW}}),
    tool_result(8, "toolu_edit", "The file /workspace/dates.py has been updated."),
    assistant(9, {"type": "tool_use", "id": "toolu_write", "name": "Write", "input": {"file_path": "/workspace/tests/test_weeks.py", "content": WRITTEN}}),
    tool_result(9, "toolu_write", "File created successfully at: /workspace/tests/test_weeks.py"),
    assistant(11, {"type": "tool_use", "id": "toolu_bash", "name": "Bash", "input": {"command": "python -m pytest -q tests", "description": "Run the tests"}}),
    {"type": "system", "subtype": "task_started", "task_id": "b1", "tool_use_id": "toolu_bash", "description": "python -m pytest -q tests", "session_id": SESSION},
    {"type": "tool_progress", "tool_use_id": "toolu_bash", "tool_name": "Bash", "parent_tool_use_id": None, "elapsed_time_seconds": 2, "session_id": SESSION},
    {"type": "system", "subtype": "thinking_tokens", "tokens": 812, "session_id": SESSION},
    tool_result(14, "toolu_bash", PYTEST, is_error=True),
    {"type": "system", "subtype": "task_notification", "task_id": "b1", "status": "completed", "summary": "pytest finished", "session_id": SESSION},
    assistant(20, {"type": "text", "text": FINAL}),
    {"type": "result", "subtype": "success", "is_error": False, "duration_ms": 21500, "duration_api_ms": 15000, "num_turns": 7,
     "result": FINAL, "total_cost_usd": 0.0456, "usage": {"input_tokens": 1200, "output_tokens": 640}, "session_id": SESSION},
]

API_FAILURE = [
    INIT,
    {"type": "system", "subtype": "api_retry", "attempt": 1, "max_retries": 2, "retry_delay_ms": 600, "error_status": 529, "error": "overloaded", "session_id": SESSION},
    {"type": "system", "subtype": "api_retry", "attempt": 2, "max_retries": 2, "retry_delay_ms": 1200, "error_status": 529, "error": "overloaded", "session_id": SESSION},
    {"type": "result", "subtype": "success", "is_error": True, "api_error_status": 529, "duration_ms": 4100, "num_turns": 1,
     "result": "API Error: 529 {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}",
     "total_cost_usd": 0, "session_id": SESSION},
]

SLOW_START = [
    INIT,
    assistant(1, {"type": "tool_use", "id": "toolu_make", "name": "Bash", "input": {"command": "make test", "description": "Run the suite"}}),
    {"type": "tool_progress", "tool_use_id": "toolu_make", "tool_name": "Bash", "elapsed_time_seconds": 3, "session_id": SESSION},
]
SLOW_END = [
    tool_result(9, "toolu_make", "ok"),
    assistant(10, {"type": "text", "text": "All green."}),
    {"type": "result", "subtype": "success", "is_error": False, "duration_ms": 9000, "num_turns": 2, "result": "All green.",
     "total_cost_usd": 0.01, "session_id": SESSION},
]


def ndjson(events):
    return "".join(json.dumps(event) + "\n" for event in events)


FILES = {"rich.ndjson": ndjson(RICH), "apifail.ndjson": ndjson(API_FAILURE),
         "slow1.ndjson": ndjson(SLOW_START), "slow2.ndjson": ndjson(SLOW_END)}
