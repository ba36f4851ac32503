#!/usr/bin/env python3
"""TLS interception for a burrow on a remote runner (issue 24 on runners): the latency a request adds
when the proxy (on the Burrow host) looks inside TLS, against a plain CONNECT tunnel, both timed by
the real agent image's curl in a burrow on the test runner. The box's bytes go forwarder (relaying) →
the egress socket forwarded over SSH (`-R`) → the proxy here → nginx on loopback (HTTPS, a CA of its
own, in `network.extraCAs`), reached under two names: `intercepted.test` has a rule (so the proxy
ends the box's TLS with the burrow's CA and opens its own upstream), `tunnel.test` has none.
curl's own `time_total` per request (no process start counted): keep-alive (N requests on one
connection, the first dropped) and new connections (one curl per request: CONNECT + handshake each).

    eval "$(bash scripts/test-env.sh 2>/dev/null)"; eval "$(bash scripts/runner-env.sh 2>/dev/null)"
    python3 benchmarks/runner-interception.py [REQUESTS]   # as root; BURROW_BINARY for a release build
                                                           # BENCH_DEBUG=1 also prints the box's other lines
"""
import json, os, statistics, subprocess, sys, tempfile, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "Tests", "browser"))
from ui_support import start_burrow, stop_server, free_port  # noqa: E402

AGENT_IMAGE = os.environ.get("BURROW_TEST_AGENT_IMAGE", "localhost/burrow-agent:latest")


def api(base, token, path, method="GET", body=None):
    request = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body else None,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    return urllib.request.urlopen(request, timeout=180)


def make_service(work):
    """nginx on loopback with a leaf for both names, signed by a CA of its own."""
    run = lambda command: subprocess.run(["bash", "-c", command], cwd=work, check=True, capture_output=True)
    run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 2 -subj '/CN=bench CA' "
        "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign")
    run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key -out leaf.csr -subj /CN=intercepted.test")
    run("printf 'subjectAltName=DNS:intercepted.test,DNS:tunnel.test\\nextendedKeyUsage=serverAuth\\n' > leaf.ext && "
        "openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out leaf.pem -days 2 -extfile leaf.ext && chmod 644 ca.pem")
    port = free_port()
    open(os.path.join(work, "nginx.conf"), "w").write(f"""worker_processes 2; pid {work}/nginx.pid; error_log {work}/nginx-error.log;
events {{ worker_connections 1024; }}
http {{ access_log off; keepalive_requests 1000000;
  server {{ listen 127.0.0.1:{port} ssl; ssl_certificate {work}/leaf.pem; ssl_certificate_key {work}/leaf.key;
           location / {{ default_type text/plain; return 200 'ok'; }} }} }}
""")
    nginx = subprocess.Popen(["nginx", "-c", os.path.join(work, "nginx.conf"), "-g", "daemon off;"])
    time.sleep(0.5)
    return nginx, port


def task(port, count, ca):
    """Each curl trusts one CA (`--cacert`), as in benchmarks/interception.sh, so that parsing the
    box's whole bundle (~140 CAs, tens of ms a process) does not drown the difference: the burrow's CA
    (the bundle's last certificate) for the intercepted name, the service's own (a public certificate
    written into the box) for the tunnel, where TLS is end to end."""
    lines = []
    for name in ["intercepted", "tunnel"]:
        url = f"https://{name}.test:{port}/"
        trust = "--cacert /tmp/service-ca.pem " if name == "tunnel" else "--cacert /tmp/burrow-ca.pem "
        lines.append(f"curl -sS {trust}-w '\\nK {name} %{{time_total}}\\n' $(for i in $(seq {count + 1}); do printf '%s ' {url}; done)")
        lines.append(f"for i in $(seq {count // 4}); do curl -sS {trust}-w '\\nN {name} %{{time_total}}\\n' {url}; done")
    burrow_ca = ("awk '/BEGIN CERT/{b=\"\"} {b=b $0 \"\\n\"} /END CERT/{last=b} END{printf \"%s\", last}' "
                 "/run/burrow/ca-bundle.crt > /tmp/burrow-ca.pem\n")
    return f"cat > /tmp/service-ca.pem <<'PEM'\n{ca}PEM\n" + burrow_ca + "\n".join(lines * 2) + "\necho bench-done\n"


def summary(values):
    ordered = sorted(values)
    return statistics.median(ordered) * 1e6, ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1e6


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 400
    env = os.environ
    work = tempfile.mkdtemp(prefix="burrow-bench-runner-tls-")
    os.chmod(work, 0o755)
    nginx, port = make_service(work)
    hosts = {name: f"{name}.test:{port}" for name in ["intercepted", "tunnel"]}
    extra = {"image": AGENT_IMAGE, "network": {"mode": "allowlist", "allow": list(hosts.values()),
                                              "resolve": {"intercepted.test": "127.0.0.1", "tunnel.test": "127.0.0.1"},
                                              "rules": {hosts["intercepted"]: ["GET /**"]}, "extraCAs": [os.path.join(work, "ca.pem")]},
             "runners": [{"name": "local", "repos": []},
                         {"name": "far", "ssh": f"{env['BURROW_TEST_RUNNER_USER']}@{env['BURROW_TEST_RUNNER_HOST']}:{env['BURROW_TEST_RUNNER_PORT']}",
                          "identityFile": env["BURROW_TEST_RUNNER_IDENTITY"], "knownHostsFile": env["BURROW_TEST_RUNNER_KNOWN_HOSTS"]}]}
    process, url = start_burrow(work, agent_command=["bash", "-c"], config_extra=extra)
    base, token = url.split("/?")[0], url.split("token=")[1]
    try:
        burrow = json.load(api(base, token, "/api/burrows", "POST", {"repo": "demo", "task": task(port, count, open(os.path.join(work, "ca.pem")).read())}))["id"]
        results, done = {}, False
        stream = api(base, token, f"/api/burrows/{burrow}/events")   # replay, then live: read until the task says done
        while not done:
            line = stream.readline().decode()
            if not line:
                raise RuntimeError("the event stream ended before the task said bench-done")
            if not line.startswith("data: "):
                continue
            try:
                text = json.loads(line[6:]).get("text", "")
            except (ValueError, AttributeError):
                continue
            parts = text.split()
            done = text.strip() == "bench-done"
            if os.environ.get("BENCH_DEBUG") and not (len(parts) == 3 and parts[0] in ("K", "N")):
                print("box:", text[:300])
            if len(parts) == 3 and parts[0] in ("K", "N"):
                results.setdefault((parts[0], parts[1]), []).append(float(parts[2]))
        if os.environ.get("BENCH_DEBUG"):
            print({key: (len(values), values[:5]) for key, values in results.items()})
        print(f"burrow on the test runner; {count} keep-alive requests and {count // 4} new connections per host, twice; µs")
        print("| measure | CONNECT tunnel | intercepted | added |")
        print("|---|---|---|---|")
        for kind, label in [("K", "keep-alive request"), ("N", "new connection + request")]:
            tunnel = results[(kind, "tunnel")]
            intercepted = results[(kind, "intercepted")]
            if kind == "K":   # the first request of each run (count + 1 each) opens the connection
                tunnel = [t for i, t in enumerate(tunnel) if i % (count + 1)]
                intercepted = [t for i, t in enumerate(intercepted) if i % (count + 1)]
            (t50, t99), (i50, i99) = summary(tunnel), summary(intercepted)
            print(f"| {label} p50 | {t50:.0f} | {i50:.0f} | {i50 - t50:+.0f} |")
            print(f"| {label} p99 | {t99:.0f} | {i99:.0f} | {i99 - t99:+.0f} |")
    finally:
        stop_server(process, url)
        nginx.terminate()


if __name__ == "__main__":
    main()
