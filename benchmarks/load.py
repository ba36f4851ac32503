#!/usr/bin/env python3
"""Load and memory (issue: reliability). Not part of CI; run as root after scripts/test-env.sh.

  load:  20 burrows at once, each streaming 2,000 events (~10 s), each watched by 10 SSE clients
         (200 streams). Every client must get every event of its burrow exactly once, in order.
         Burrow's CPU time and RSS (sampled every 0.2 s) are reported.
  flood: one burrow whose agent writes 1 GiB as fast as it can; Burrow's peak RSS while it streams
         and reconciles, and every byte on disk afterwards.

Usage: eval "$(bash scripts/test-env.sh)"; python3 benchmarks/load.py
"""
from benchlib import free_port, make_repo, write_config
import json, os, socket, subprocess, sys, tempfile, threading, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, ".build/release/burrow")
SOCKET = os.environ["BURROW_TEST_PODMAN_SOCKET"]
IMAGE = os.environ["BURROW_TEST_IMAGE"]
TOKEN = "load-token"
BURROWS, CLIENTS, EVENTS = 20, 10, 2000



def call(port, method, path, body=None, raw=False):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method, data=json.dumps(body).encode() if body else None,
                                     headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        text = response.read().decode()
        return text if raw or not text.startswith(("{", "[")) else json.loads(text)


def watch(port, burrow, results, key):
    """Reads the burrow's SSE stream until `end`; records the ids in order."""
    ids = []
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(f"GET /api/burrows/{burrow}/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {TOKEN}\r\n\r\n".encode())
        buffer = b""
        while True:
            piece = s.recv(1 << 16)
            if not piece:
                break
            buffer += piece
            while b"\n\n" in buffer:
                block, buffer = buffer.split(b"\n\n", 1)
                fields = dict(line.split(b": ", 1) for line in block.split(b"\n") if b": " in line and not line.startswith(b":"))
                if b"id" in fields:
                    ids.append(int(fields[b"id"]))
                if fields.get(b"event") == b"end":
                    results[key] = ids
                    return
    results[key] = ids


class Sampler(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak, self.running = pid, 0.0, True

    def run(self):
        while self.running:
            for line in open(f"/proc/{self.pid}/status"):
                if line.startswith("VmRSS:"):
                    self.peak = max(self.peak, int(line.split()[1]) / 1024)
            time.sleep(0.2)


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    subprocess.run(["swift", "build", "-c", "release"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    work = tempfile.mkdtemp(prefix="burrow-load-")
    os.chmod(work, 0o711)  # Podman (another user) reads the seccomp profile under the state dir
    repo = make_repo(work)
    port = free_port()
    config = write_config(work, port, repo, maxConcurrent=BURROWS)
    server = subprocess.Popen([BINARY, "serve", "--config", config], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env={**os.environ, "BURROW_TOKEN": TOKEN})
    try:
        for _ in range(100):
            try:
                call(port, "GET", "/api/health")
                break
            except Exception:
                time.sleep(0.05)
        sampler = Sampler(server.pid)
        sampler.start()
        idle = cpu_seconds(server.pid)
        started = time.monotonic()
        burrows = [call(port, "POST", "/api/burrows", {"repo": "demo", "task": f"load {n} LINES={EVENTS} RATE=200"})["id"] for n in range(BURROWS)]
        results, threads = {}, []
        for burrow in burrows:
            for client in range(CLIENTS):
                thread = threading.Thread(target=watch, args=(port, burrow, results, (burrow, client)), daemon=True)
                thread.start()
                threads.append(thread)
        for thread in threads:
            thread.join(timeout=300)
        elapsed = time.monotonic() - started
        cpu = cpu_seconds(server.pid) - idle
        bad = 0
        for burrow in burrows:
            stored = len(call(port, "GET", f"/api/burrows/{burrow}/history", raw=True).splitlines())
            for client in range(CLIENTS):
                ids = results.get((burrow, client), [])
                if ids != list(range(1, stored + 1)):
                    bad += 1
        states = [call(port, "GET", f"/api/burrows/{b}")["state"] for b in burrows]
        print(f"load: {BURROWS} burrows × {EVENTS} events, {CLIENTS} SSE clients each ({BURROWS * CLIENTS} streams), {elapsed:.1f} s wall; "
              f"clients with a lost, doubled or reordered event: {bad}; burrows succeeded: {states.count('succeeded')}/{BURROWS}; "
              f"Burrow CPU {cpu:.1f} s ({100 * cpu / elapsed:.0f}% of one core); peak RSS {sampler.peak:.1f} MiB")
        sampler.peak = 0.0
        flood = call(port, "POST", "/api/burrows", {"repo": "demo", "task": "flood FLOOD=1024"})["id"]
        started = time.monotonic()
        while call(port, "GET", f"/api/burrows/{flood}")["state"] not in ("succeeded", "failed", "stopped"):
            time.sleep(1)
        events = os.path.join(work, "state", "burrows", flood, "events.ndjson")
        text_bytes = 0
        with open(events) as file:
            for line in file:
                stored = json.loads(line)
                if stored["kind"] == "log" and stored["data"]["text"].startswith("flood line"):
                    text_bytes += len(stored["data"]["text"]) + 1
        print(f"flood: 1 GiB of output in {time.monotonic() - started:.0f} s (attach live, then reconciled with the complete log); "
              f"flood bytes on disk {text_bytes:,} of {1 << 30:,}; events file {os.path.getsize(events) / (1 << 20):.0f} MiB; "
              f"Burrow peak RSS {sampler.peak:.1f} MiB")
        sampler.running = False
        for burrow in burrows + [flood]:
            call(port, "DELETE", f"/api/burrows/{burrow}?purge=true")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
