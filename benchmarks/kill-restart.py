#!/usr/bin/env python3
"""Crash-and-restart loop (issue: reliability). Not part of CI; run as root after scripts/test-env.sh.

Starts `burrow serve` (release build) on the test Podman, keeps launching burrows whose stand-in agent
prints 300 numbered events over ~1.5 s and edits files, and SIGKILLs Burrow at random moments —
preparing, streaming, bringing work home, tearing down — then starts it again. After KILLS kill points
it waits for every burrow and checks each one: a final state, every numbered line in its events file
exactly once and in order, one result, a gap-free sequence, its branch in the repo (work came home),
and `burrow gc --dry-run` finds nothing that no record owns.

Usage: eval "$(bash scripts/test-env.sh)"; python3 benchmarks/kill-restart.py [KILLS]
"""
from benchlib import free_port, make_repo, write_config
import json, os, random, re, signal, socket, subprocess, sys, tempfile, time, urllib.request

KILLS = int(sys.argv[1]) if len(sys.argv) > 1 else 50
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, ".build/release/burrow")
SOCKET = os.environ["BURROW_TEST_PODMAN_SOCKET"]
IMAGE = os.environ["BURROW_TEST_IMAGE"]
LINES = 300



def request(port, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                                 headers={"Authorization": "Bearer kill-token", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as response:
        text = response.read().decode()
        return json.loads(text) if text else None


def start(config, log):
    process = subprocess.Popen([BINARY, "serve", "--config", config], stdout=log, stderr=log,
                               env={**os.environ, "BURROW_TOKEN": "kill-token"})
    port = json.load(open(config))["listen"].rsplit(":", 1)[1]
    for _ in range(200):
        try:
            request(port, "GET", "/api/health")
            return process
        except Exception:
            time.sleep(0.05)
    raise RuntimeError("burrow did not start")


def main():
    subprocess.run(["swift", "build", "-c", "release"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    work = tempfile.mkdtemp(prefix="burrow-kill-")
    os.chmod(work, 0o711)  # Podman (another user) reads the seccomp profile under the state dir
    repo = make_repo(work)
    port = free_port()
    state = os.path.join(work, "state")
    config = write_config(work, port, repo, maxConcurrent=4)
    log = open(os.path.join(work, "burrow.log"), "ab")
    process = start(config, log)
    launched, torn, phases = [], set(), {}
    random.seed(int(os.environ.get("SEED", "1")))
    for kill in range(KILLS):
        try:
            if random.random() < 0.7 or not launched:
                launched.append(request(port, "POST", "/api/burrows", {"repo": "demo", "task": f"kill {kill} LINES={LINES} RATE=200 TEXT=k{kill}"})["id"])
            else:
                # A teardown of a finished burrow, killed while it runs.
                finished = [b["id"] for b in request(port, "GET", "/api/burrows") if b["state"] in ("succeeded", "failed", "stopped") and not b.get("tornDown")]
                if finished:
                    victim = random.choice(finished)
                    torn.add(victim)
                    threading_request = subprocess.Popen(["curl", "-s", "-X", "DELETE", "-H", "Authorization: Bearer kill-token",
                                                          f"http://127.0.0.1:{port}/api/burrows/{victim}"], stdout=subprocess.DEVNULL)
        except Exception as error:
            print(f"kill {kill}: request failed ({error}); going on", flush=True)
        # Short waits land in "preparing" (clone, upload, create); long ones in streaming and after.
        time.sleep(random.uniform(0.0, 0.3) if random.random() < 0.35 else random.uniform(0.3, 2.5))
        records = {}
        for name in os.listdir(os.path.join(state, "burrows")):
            try:
                records[name] = json.load(open(os.path.join(state, "burrows", name, "record.json")))
            except Exception:
                pass
        # What the kill interrupted: the newest burrow that is not finished (or "between burrows").
        active = [r for r in records.values() if r["state"] not in ("succeeded", "failed", "stopped")]
        phase = max(active, key=lambda r: r["createdAt"])["state"] if active else "between burrows / teardown"
        phases[phase] = phases.get(phase, 0) + 1
        process.send_signal(signal.SIGKILL)
        process.wait()
        process = start(config, log)
        print(f"kill {kill + 1}/{KILLS}: states at the kill: " + ", ".join(sorted(r["state"] for r in records.values())), flush=True)
    # Let everything finish, then tear down what was asked again (a killed teardown is retried by the user).
    deadline = time.time() + 300
    while time.time() < deadline:
        burrows = request(port, "GET", "/api/burrows")
        if all(b["state"] in ("succeeded", "failed", "stopped") for b in burrows):
            break
        time.sleep(1)
    failures = []
    for burrow in request(port, "GET", "/api/burrows"):
        bid = burrow["id"]
        if burrow["state"] != "succeeded":
            failures.append(f"{bid}: state {burrow['state']} ({burrow.get('error')})")
            continue
        lines = [json.loads(line) for line in open(os.path.join(state, "burrows", bid, "events.ndjson"))]
        sequence = [line["seq"] for line in lines]
        if sequence != list(range(1, len(lines) + 1)):
            failures.append(f"{bid}: sequence has a gap or repeat")
        numbered = [int(m.group(1)) for line in lines if line["kind"] == "agent"
                    for m in [re.search(r'"text": ?"line (\d+)"', json.dumps(line["data"]))] if m]
        if numbered != list(range(1, LINES + 1)):
            failures.append(f"{bid}: numbered lines {len(numbered)} (expected 1..{LINES} once, in order)")
        results = [line for line in lines if line["kind"] == "agent" and line["data"].get("type") == "result"]
        if len(results) != 1:
            failures.append(f"{bid}: {len(results)} result events")
        branch = subprocess.run(["git", "-C", repo, "rev-parse", "--verify", "-q", f"burrow/{bid}"], capture_output=True)
        if branch.returncode != 0:
            failures.append(f"{bid}: no branch burrow/{bid} (work did not come home)")
    for victim in torn:
        try:
            request(port, "DELETE", f"/api/burrows/{victim}")
        except Exception as error:
            failures.append(f"{victim}: teardown after restart failed: {error}")
    # Only this run's burrows count: the test Podman may hold other runs' leftovers.
    gc = subprocess.run([BINARY, "gc", "--dry-run", "--config", config], capture_output=True, text=True)
    ours = {b["id"] for b in request(port, "GET", "/api/burrows")}
    left = [line for line in gc.stdout.splitlines() if any(f"(burrow {bid})" in line for bid in ours)]
    if left:
        failures.append("orphans left in Podman:\n" + "\n".join(left))
    burrows = request(port, "GET", "/api/burrows")
    process.terminate()
    process.wait()
    for burrow in burrows:
        if not burrow.get("tornDown"):
            subprocess.run(["curl", "-s", "-o", "/dev/null", "-X", "DELETE", f"http://127.0.0.1:{port}/api/burrows/{burrow['id']}"])
    print(f"kill points: {KILLS}; burrows: {len(burrows)}; teardowns killed mid-way: {len(torn)}")
    print("kills by what they interrupted: " + ", ".join(f"{k} {v}" for k, v in sorted(phases.items())))
    print("failures: " + (str(len(failures)) if failures else "none"))
    for failure in failures:
        print("  " + failure)
    # Clean the test Podman of this run's burrows.
    cleanup = subprocess.Popen([BINARY, "serve", "--config", config], stdout=log, stderr=log, env={**os.environ, "BURROW_TOKEN": "kill-token"})
    time.sleep(1.5)
    for burrow in burrows:
        subprocess.run(["curl", "-s", "-o", "/dev/null", "-X", "DELETE", "-H", "Authorization: Bearer kill-token",
                        f"http://127.0.0.1:{port}/api/burrows/{burrow['id']}"])
    cleanup.terminate()
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
