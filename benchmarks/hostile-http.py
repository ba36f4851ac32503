#!/usr/bin/env python3
"""Hostile HTTP against `burrow serve` (issue: reliability). Not part of CI. Needs no Podman.

  slowloris: 2,000 connections trickle header bytes (one every second, reconnecting when cut off)
             while a normal client asks GET /api/health every 100 ms: its worst latency must stay
             under 100 ms.
  fd leak:   5,000 connections opened at once and dropped (half closed cleanly, half reset); the
             server's open descriptors (/proc/PID/fd) before and after must match.
  fuzz:      mutations of a corpus of valid and tricky requests (byte flips, truncations, splices,
             huge and hostile values) sent for --fuzz-minutes; after each batch the server must still
             answer /api/health, and its RSS must stay under a bound.

Usage: python3 benchmarks/hostile-http.py [--fuzz-minutes 10]
"""
from benchlib import free_port
import os, random, resource, select, socket, subprocess, sys, tempfile, time, json

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, ".build/release/burrow")
TOKEN = "hostile-token"
FUZZ_MINUTES = float(sys.argv[sys.argv.index("--fuzz-minutes") + 1]) if "--fuzz-minutes" in sys.argv else 10.0



def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def rss_mib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def health(port, timeout=2.0):
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(f"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {TOKEN}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while True:
            piece = s.recv(65536)
            if not piece:
                break
            data += piece
    if not data.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(f"health answered {data[:60]!r}")
    return (time.monotonic() - started) * 1000


def slowloris(port, connections=2000, seconds=20):
    sockets = []
    def open_one():
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        return [s, b"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 4000, 0]
    sockets = [open_one() for _ in range(connections)]
    latencies, reconnects = [], 0
    end = time.monotonic() + seconds
    next_trickle = time.monotonic()
    while time.monotonic() < end:
        if time.monotonic() >= next_trickle:
            next_trickle += 1.0
            for entry in sockets:
                s, payload, sent = entry
                try:
                    if sent < len(payload):
                        entry[2] += s.send(payload[sent:sent + 1])
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    s.close()
                    fresh = open_one()
                    entry[0], entry[1], entry[2] = fresh
                    reconnects += 1
        latencies.append(health(port))
        time.sleep(0.1)
    for s, _, _ in sockets:
        s.close()
    latencies.sort()
    return latencies, reconnects


def open_and_drop(port, count=5000):
    sockets = []
    for index in range(count):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        sockets.append(s)
    time.sleep(0.5)
    for index, s in enumerate(sockets):
        if index % 2:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # reset
        s.close()


CORPUS = [
    b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + TOKEN.encode() + b"\r\n\r\n",
    b"POST /api/burrows HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + TOKEN.encode() + b"\r\nContent-Type: application/json\r\nContent-Length: 31\r\n\r\n{\"repo\":\"demo\",\"task\":\"hello\"}",
    b"POST /api/burrows/abc/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + TOKEN.encode() + b"\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"tex\r\n0\r\n\r\n",
    b"GET /api/burrows/zz/events?after=-1 HTTP/1.1\r\nHost: 127.0.0.1\r\nLast-Event-ID: 99999999999999999999\r\nCookie: burrow_token=" + TOKEN.encode() + b"\r\n\r\n",
    b"GET /../../etc/passwd HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    b"GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.0\r\n\r\n",
    b"DELETE /api/burrows/x?purge=true HTTP/1.1\r\nHost: evil.example\r\nOrigin: http://evil.example\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nabcdef",
]


def mutate(data):
    data = bytearray(data)
    for _ in range(random.randint(1, 6)):
        choice = random.random()
        if choice < 0.3 and data:
            data[random.randrange(len(data))] = random.randrange(256)
        elif choice < 0.45 and data:
            del data[random.randrange(len(data)):]
        elif choice < 0.6:
            other = random.choice(CORPUS)
            data[random.randrange(len(data) + 1):] = other[random.randrange(len(other)):]
        elif choice < 0.7:
            data[random.randrange(len(data) + 1):random.randrange(len(data) + 1)] = random.choice(
                [b"\r\n", b"\n", b"\0", b":", b" ", b"Transfer-Encoding: chunked\r\n", b"Content-Length: 99999999999\r\n",
                 b"ffffffffffffffff\r\n", b"\xff\xfe", b"%00", b"a" * 20000])
        elif choice < 0.8 and data:
            start = random.randrange(len(data))
            data[start:start] = data[start:start + random.randint(1, 64)] * random.randint(2, 200)
        else:
            data += os.urandom(random.randint(1, 64))
    return bytes(data)


def fuzz(port, pid, minutes):
    sent = crashes = 0
    peak = 0.0
    samples = []
    started = time.monotonic()
    end = started + minutes * 60
    while time.monotonic() < end:
        for _ in range(200):
            payload = mutate(random.choice(CORPUS))
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                    s.sendall(payload)
                    s.shutdown(socket.SHUT_WR)
                    s.settimeout(2)
                    while s.recv(65536):
                        pass
            except (socket.timeout, ConnectionError, OSError):
                pass
            sent += 1
        if os.waitpid(pid, os.WNOHANG) != (0, 0):
            crashes += 1
            break
        health(port, timeout=5)
        peak = max(peak, rss_mib(pid))
        if not samples or time.monotonic() - started >= 60 * len(samples):
            samples.append(rss_mib(pid))
    print("fuzz RSS per minute (MiB): " + " ".join(f"{value:.1f}" for value in samples), flush=True)
    return sent, crashes, peak


def main():
    resource.setrlimit(resource.RLIMIT_NOFILE, (16384, 16384))
    subprocess.run(["swift", "build", "-c", "release"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    work = tempfile.mkdtemp(prefix="burrow-hostile-")
    os.chmod(work, 0o711)  # Podman (another user) reads the seccomp profile under the state dir
    port = free_port()
    config = os.path.join(work, "burrow.json")
    json.dump({"listen": f"127.0.0.1:{port}", "stateDir": os.path.join(work, "state"), "podmanSocket": "/nonexistent/podman.sock",
               "network": "none"}, open(config, "w"))
    server = subprocess.Popen([BINARY, "serve", "--config", config], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env={**os.environ, "BURROW_TOKEN": TOKEN})
    try:
        for _ in range(100):
            try:
                health(port)
                break
            except Exception:
                time.sleep(0.05)
        idle_rss = rss_mib(server.pid)
        latencies, reconnects = slowloris(port)
        print(f"slowloris: 2,000 trickling connections for 20 s ({reconnects} cut off by the 5 s header timeout and reopened); "
              f"/api/health meanwhile: {len(latencies)} requests, p50 {latencies[len(latencies) // 2]:.1f} ms, max {latencies[-1]:.1f} ms "
              f"(target < 100 ms): {'PASS' if latencies[-1] < 100 else 'FAIL'}")
        time.sleep(6)  # the header timeout clears what slowloris left
        before = fd_count(server.pid)
        open_and_drop(port)
        time.sleep(3)
        after = fd_count(server.pid)
        print(f"fd leak: open descriptors before {before}, after 5,000 connections opened and dropped {after}: "
              f"{'PASS' if after <= before else 'FAIL'}")
        sent, crashes, peak = fuzz(port, server.pid, FUZZ_MINUTES)
        print(f"fuzz: {sent:,} mutated requests in {FUZZ_MINUTES:g} min; crashes {crashes}; health answered after every batch of 200; "
              f"RSS idle {idle_rss:.1f} MiB, peak {peak:.1f} MiB (bound 96 MiB): {'PASS' if crashes == 0 and peak < 96 else 'FAIL'}")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
