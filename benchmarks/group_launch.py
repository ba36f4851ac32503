#!/usr/bin/env python3
"""N attempts launched together (one POST with "attempts": N) against a running `burrow serve` whose
agent is `sh -c`, the same task as burrow-bench repo-scale (append one line to one file, exit).
Prints one line per attempt: first=<POST → first agent event, ms> home=<last agent event → end, ms>
end=<the record's wayHome, phase:ms,…> start=<its startup, phase:ms,…> id=<id>. Used by benchmarks/repo-scale.sh; not part of CI.
Usage: group_launch.py PORT TOKEN REPO N"""
import http.client
import json
import os
import sys
import threading
import time

# BURROW_BENCH_AGENT_SECONDS: how long the agent works between its first and last line (as burrow-bench).
WORK = os.environ.get("BURROW_BENCH_AGENT_SECONDS", "0")
TASK = ("echo '{\"type\":\"system\",\"subtype\":\"init\",\"session_id\":\"bench\"}'; "
        + (f"sleep {float(WORK)}; " if float(WORK) > 0 else "") + "echo 'one more line' >> README.md; "
        "echo '{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false,\"result\":\"done\",\"session_id\":\"bench\"}'")


def follow(port, token, burrow, started, results):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    connection.request("GET", f"/api/burrows/{burrow}/events", headers={"Authorization": f"Bearer {token}"})
    response = connection.getresponse()
    first = last = None
    text = b""
    for line in response:
        now = time.monotonic()
        text += line
        if line.startswith(b"event: agent"):
            first = first or now
            last = now
        if line.startswith(b"event: end"):
            if first is None:
                results[burrow] = f"failed: no agent output ({text[-400:]!r})"
            else:
                results[burrow] = f"first={(first - started) * 1000:.1f} home={(now - last) * 1000:.1f} end={way_home(port, token, burrow)} id={burrow}"
            return
    results[burrow] = "failed: the stream ended before `end`"


def way_home(port, token, burrow):
    """The record's `wayHome`, where the turn's end went, as exit:280,closing:0,… (ms)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", f"/api/burrows/{burrow}", headers={"Authorization": f"Bearer {token}"})
    record = json.loads(connection.getresponse().read())
    phases = lambda name: ",".join(f"{p['phase']}:{p['ms']:.0f}" for p in record.get(name) or [])
    return phases("wayHome") + " start=" + phases("startup")


def main():
    port, token, repo, count = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    body = json.dumps({"repo": repo, "task": TASK, "attempts": count})
    connection.request("POST", "/api/burrows", body=body, headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    response = connection.getresponse()
    answer = response.read()
    if response.status != 201:
        sys.exit(f"group launch failed: {response.status} {answer[:400]!r}")
    ids = [attempt["id"] for attempt in json.loads(answer)["attempts"]]
    results = {}
    threads = [threading.Thread(target=follow, args=(port, token, burrow, started, results)) for burrow in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for burrow in ids:
        print(results.get(burrow, "failed: no result"))
    if any(not results.get(burrow, "failed").startswith("first=") for burrow in ids):
        sys.exit(1)


if __name__ == "__main__":
    main()
