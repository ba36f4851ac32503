#!/usr/bin/env python3
"""Latency a preview adds (issue 25, item 2): the same server in a burrow reached through its preview
origin vs reached directly. "Directly" is a client inside the burrow's network namespace (`nsenter
--net`, so this runs as root, like the tests) talking to the same server process: only the preview
path differs. HTTP: `python3 -m http.server` (HTTP/1.1, keep-alive) serving a 2 KiB page; both
clients keep one connection alive (Burrow keeps the browser's side open after a delimited answer but
relays each request on a fresh upstream connection, `Connection: close`: that cost is counted). WebSocket:
round trips of a 16-byte message on one open socket, with the echo server of the preview tests.

    eval "$(bash scripts/test-env.sh 2>/dev/null)"
    python3 benchmarks/previews.py [REQUESTS]       # BURROW_BINARY=.build/release/burrow for release

`--runner`: the burrow runs on the test runner (`eval "$(bash scripts/runner-env.sh 2>/dev/null)"` first:
sshd on 127.0.0.1 and the user burrowrunner with its own Podman), so the preview goes through the
relay on the runner and the SSH connection; "directly" is then a client in its namespace there.
"""
import json, os, socket, statistics, subprocess, sys, tempfile, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "Tests", "browser"))
from ui_support import start_burrow, stop_server, podman  # noqa: E402

AGENT_IMAGE = os.environ.get("BURROW_TEST_AGENT_IMAGE", "localhost/burrow-agent:latest")
WS_SERVER = open(os.path.join(ROOT, "benchmarks", "preview_ws_echo.py")).read()
TASK = ("mkdir -p /tmp/site && cd /tmp/site && head -c 2048 /dev/zero | tr '\\0' x > index.html && "
        "python3 -c 'import http.server as h; h.SimpleHTTPRequestHandler.protocol_version=\"HTTP/1.1\"; h.SimpleHTTPRequestHandler.disable_nagle_algorithm=True; "
        "h.SimpleHTTPRequestHandler.log_message=lambda *a: None; h.ThreadingHTTPServer((\"127.0.0.1\", 8000), h.SimpleHTTPRequestHandler).serve_forever()' & "
        "cat > /tmp/ws.py <<'PY'\n" + WS_SERVER + "PY\npython3 /tmp/ws.py & sleep 3600")


def read_response(sock, buffer):
    """One HTTP response with Content-Length; returns (status, leftover, closed)."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before a head")
        buffer += chunk
    head, _, rest = buffer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = next(int(l.split(":", 1)[1]) for l in lines if l.lower().startswith("content-length:"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed in a body")
        rest += chunk
    closed = any(l.lower() == "connection: close" for l in lines)
    return int(lines[0].split()[1]), rest[length:], closed


def http_timings(address, host, cookie, count, close=False):
    request = (f"GET / HTTP/1.1\r\nHost: {host}\r\n" + (f"Cookie: {cookie}\r\n" if cookie else "")
               + ("Connection: close\r\n" if close else "") + "\r\n")
    sock, buffer, timings = None, b"", []
    for _ in range(count):
        started = time.perf_counter()
        if sock is None:
            sock = socket.create_connection(address)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            buffer = b""
        sock.sendall(request.encode())
        status, buffer, closed = read_response(sock, buffer)
        assert status == 200, status
        if closed or close:
            sock.close()
            sock = None
        timings.append(time.perf_counter() - started)
    return timings


def ws_timings(address, host, cookie, count):
    sock = socket.create_connection(address)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.sendall((f"GET /ws HTTP/1.1\r\nHost: {host}\r\n" + (f"Cookie: {cookie}\r\n" if cookie else "")
                  + "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                  + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(4096)
    assert head.startswith(b"HTTP/1.1 101"), head[:80]
    frame = bytes([0x81, 0x80 | 16, 0, 0, 0, 0]) + b"0123456789abcdef"
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        sock.sendall(frame)
        got = b""
        while len(got) < 18:
            got += sock.recv(64)
        timings.append(time.perf_counter() - started)
    sock.close()
    return timings


def summary(timings):
    ordered = sorted(timings)
    return {"p50": statistics.median(ordered) * 1e6, "p99": ordered[int(len(ordered) * 0.99) - 1] * 1e6}


def api(base, token, path, method="GET", body=None):
    request = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body else None,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(request))


def sign_in(port, token, burrow, preview_port):
    """The page's link, then the preview's sign-in, as a browser follows them."""
    conn = socket.create_connection(("127.0.0.1", port))
    conn.sendall(f"GET /api/burrows/{burrow}/previews/{preview_port}/open HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n".encode())
    head = conn.makefile("rb").read().decode("latin-1")
    location = next(l.split(": ", 1)[1] for l in head.split("\r\n") if l.lower().startswith("location:"))
    host, path = location[len("http://"):].split("/", 1)
    conn = socket.create_connection(("127.0.0.1", port))
    conn.sendall(f"GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
    head = conn.makefile("rb").read().decode("latin-1")
    cookie = next(l.split(": ", 1)[1] for l in head.split("\r\n") if l.lower().startswith("set-cookie:")).split(";")[0]
    return host, cookie


def inside(pid, mode, count):
    """Runs this script's direct client in the burrow's network namespace."""
    out = subprocess.run(["nsenter", "--target", str(pid), "--net", sys.executable, os.path.abspath(__file__), "--direct", mode, str(count)],
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"the client in the burrow's namespace failed: {out.stderr}")
    return json.loads(out.stdout)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--direct":
        mode, count = sys.argv[2], int(sys.argv[3])
        if mode == "ws":
            print(json.dumps(ws_timings(("127.0.0.1", 8001), "127.0.0.1", None, count)))
        else:
            print(json.dumps(http_timings(("127.0.0.1", 8000), "127.0.0.1", None, count, close=mode == "http-close")))
        return
    on_runner = "--runner" in sys.argv
    arguments = [a for a in sys.argv[1:] if a != "--runner"]
    count = int(arguments[0]) if arguments else 2000
    work = tempfile.mkdtemp(prefix="burrow-bench-previews-")
    extra = {"image": AGENT_IMAGE}
    if on_runner:
        env = os.environ
        extra["runners"] = [{"name": "local", "repos": []},
                            {"name": "far", "ssh": f"{env['BURROW_TEST_RUNNER_USER']}@{env['BURROW_TEST_RUNNER_HOST']}:{env['BURROW_TEST_RUNNER_PORT']}",
                             "identityFile": env["BURROW_TEST_RUNNER_IDENTITY"], "knownHostsFile": env["BURROW_TEST_RUNNER_KNOWN_HOSTS"]}]
    process, url = start_burrow(work, agent_command=["bash", "-c"], config_extra=extra)
    base, token = url.split("/?")[0], url.split("token=")[1]
    port = int(base.rsplit(":", 1)[1])
    try:
        burrow = api(base, token, "/api/burrows", "POST", {"repo": "demo", "task": TASK})["id"]
        for _ in range(600):
            if {8000, 8001} <= {p["port"] for p in api(base, token, f"/api/burrows/{burrow}/previews")["ports"]}:
                break
            time.sleep(0.2)
        container = api(base, token, f"/api/burrows/{burrow}")["container"]
        if on_runner:   # the runner is this machine: its pid is one of ours to enter
            inspect = subprocess.run(["curl", "-s", "--unix-socket", os.environ["BURROW_TEST_RUNNER_SOCKET"],
                                      f"http://d/v4.0.0/libpod/containers/{container}/json"], capture_output=True, text=True).stdout
        else:
            inspect = podman(f"/containers/{container}/json")
        pid = json.loads(inspect)["State"]["Pid"]
        results = {}
        closing = []
        for _ in range(5):
            closing += inside(pid, "http-close", count // 5)
        results["http-close"] = summary(closing)
        for mode, preview_port, run in [("http", 8000, http_timings), ("ws", 8001, ws_timings)]:
            host, cookie = sign_in(port, token, burrow, preview_port)
            run(("127.0.0.1", port), host, cookie, 200)      # warm-up (relay started, caches)
            inside(pid, mode, 200)
            through, direct = [], []
            for _ in range(5):                                  # alternate, so load changes hit both
                through += run(("127.0.0.1", port), host, cookie, count // 5)
                direct += inside(pid, mode, count // 5)
            results[mode] = (summary(direct), summary(through))
        print(f"{count} requests each, alternating in 5 rounds; µs" + (" (burrow on the test runner, over SSH)" if on_runner else ""))
        print("| measure | direct (in the burrow's namespace) | through the preview | added |")
        print("|---|---|---|---|")
        for mode, label in [("http", "HTTP GET 2 KiB, keep-alive client"), ("ws", "WebSocket 16-byte echo round trip")]:
            direct, through = results[mode]
            for q in ["p50", "p99"]:
                print(f"| {label} {q} | {direct[q]:.0f} | {through[q]:.0f} | {through[q] - direct[q]:+.0f} |")
        for q in ["p50", "p99"]:
            print(f"| (direct, a new connection per request) {q} | {results['http-close'][q]:.0f} | | |")
        api(base, token, f"/api/burrows/{burrow}/stop", "POST")
    finally:
        stop_server(process, url)


if __name__ == "__main__":
    main()
