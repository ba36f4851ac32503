#!/usr/bin/env python3
"""`/api/health` latency while burrows launch (issue 22, item 10). Not part of CI; run as root after
scripts/test-env.sh.

Starts `burrow serve` on the test Podman, launches LAUNCHES burrows in waves of 4 (each a shell that
prints and sleeps 1 s), tears each down when it ends, and meanwhile polls GET /api/health every 10 ms
on one keep-alive connection, as a monitor would; and, as the yardstick of what this machine's load
alone costs, nginx serving a static file polled the same way at the same time. Prints the latency
p50/p99/max of each, with nothing launching and over the launch window, and how many health answers
said Podman was reachable.

Usage: eval "$(bash scripts/test-env.sh)"; python3 benchmarks/health-during-launches.py [LAUNCHES] [BINARY]
(BINARY: default .build/release/burrow, else .build/debug/burrow)
"""
from benchlib import free_port, make_repo, write_config
import http.client, json, os, subprocess, sys, tempfile, threading, time

LAUNCHES = int(sys.argv[1]) if len(sys.argv) > 1 else 24
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = sys.argv[2] if len(sys.argv) > 2 else next(
    path for path in (os.path.join(ROOT, ".build/release/burrow"), os.path.join(ROOT, ".build/debug/burrow")) if os.path.exists(path))
TOKEN = "health-bench-token"
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}


def call(port, method, path, body=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    connection.request(method, path, json.dumps(body) if body is not None else None, HEADERS)
    response = connection.getresponse()
    text = response.read().decode()
    connection.close()
    return response.status, (json.loads(text) if text.startswith(("{", "[")) else text)


def launch_and_tear_down(port, index):
    status, record = call(port, "POST", "/api/burrows", {"repo": "demo", "task": f"echo burrow-{index}; sleep 1"})
    if status != 201:
        raise SystemExit(f"launch {index}: {status} {record}")
    while True:
        _, record = call(port, "GET", f"/api/burrows/{record['id']}")
        if record["state"] in ("succeeded", "failed", "stopped"):
            break
        time.sleep(0.2)
    call(port, "DELETE", f"/api/burrows/{record['id']}")


def poll(port, path, samples, reachable, stop):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while not stop.is_set():
        start = time.perf_counter()
        connection.request("GET", path, headers=HEADERS)
        body = connection.getresponse().read()
        samples.append((time.perf_counter() - start) * 1000)
        reachable.append(b'"reachable":true' in body)
        time.sleep(0.01)
    connection.close()


def launch_waves(port):
    for wave in range(0, LAUNCHES, 4):
        workers = [threading.Thread(target=launch_and_tear_down, args=(port, wave + i + 1)) for i in range(min(4, LAUNCHES - wave))]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()


def measure(port, nginx, load):
    """Health and nginx latencies (ms), and reachable answers, while `load()` runs."""
    health, yardstick, stop = ([], [], 0), ([], [], 0), threading.Event()
    pollers = [threading.Thread(target=poll, args=(port, "/api/health", health[0], health[1], stop)),
               threading.Thread(target=poll, args=(nginx, "/health.json", yardstick[0], yardstick[1], stop))]
    for poller in pollers:
        poller.start()
    started = time.time()
    load()
    stop.set()
    for poller in pollers:
        poller.join()
    return (health[0], health[1], time.time() - started), (yardstick[0], yardstick[1], time.time() - started)


def start_nginx(work):
    port = free_port()
    os.makedirs(os.path.join(work, "www"))
    open(os.path.join(work, "www", "health.json"), "w").write('{"status":"ok"}')
    open(os.path.join(work, "nginx.conf"), "w").write(
        f"worker_processes 1; pid {work}/nginx.pid; error_log {work}/nginx-error.log; events {{}}\n"
        f"http {{ access_log off; keepalive_requests 1000000; server {{ listen 127.0.0.1:{port}; root {work}/www; }} }}\n")
    return subprocess.Popen(["nginx", "-c", os.path.join(work, "nginx.conf"), "-g", "daemon off;"]), port


def summary(measured, podman=True):
    samples, reachable, seconds = measured
    return (f"p50 {percentile(samples, 0.5):.2f} ms, p99 {percentile(samples, 0.99):.2f} ms, max {max(samples):.1f} ms "
            f"({len(samples)} answers in {seconds:.0f} s" + (f"; Podman reachable in {sum(reachable)})" if podman else ")"))


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main():
    work = tempfile.mkdtemp(prefix="burrow-health-")
    os.chmod(work, 0o711)  # Podman (another user) reads the seccomp profile under the state dir
    port = free_port()
    config = write_config(work, port, make_repo(work), agentCommand=["sh", "-c"], taskInput="argument", maxConcurrent=4)
    nginx, nginx_port = start_nginx(work)
    server = subprocess.Popen([BINARY, "serve", "--config", config], env={**os.environ, "BURROW_TOKEN": TOKEN},
                              stdout=open(os.path.join(work, "serve.log"), "w"), stderr=subprocess.STDOUT)
    try:
        for _ in range(300):
            try:
                if call(port, "GET", "/api/health")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        launch_and_tear_down(port, 0)  # warm: the repo's template and the image's ranges
        idle, idle_nginx = measure(port, nginx_port, lambda: time.sleep(5))
        launching, launching_nginx = measure(port, nginx_port, lambda: launch_waves(port))
        build = BINARY.split("/")[-2]
        print(f"| GET /api/health every 10 ms, nothing launching (5 s; {build} build) | {summary(idle)} | — |")
        print(f"| nginx static file polled alongside, nothing launching | {summary(idle_nginx, podman=False)} | yardstick |")
        print(f"| GET /api/health every 10 ms while {LAUNCHES} burrows launch and are torn down, 4 at a time "
              f"({build} build) | {summary(launching)} | p99 < 5 ms |")
        print(f"| nginx static file polled alongside, same launches | {summary(launching_nginx, podman=False)} | yardstick |")
    finally:
        server.terminate()
        server.wait(timeout=30)
        nginx.terminate()
        nginx.wait(timeout=30)
        subprocess.run([BINARY, "gc", "--config", config], stdout=subprocess.DEVNULL)  # this instance's leftovers
        subprocess.run(["rm", "-rf", work])


main()
