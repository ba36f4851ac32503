#!/usr/bin/env bash
# TLS interception benchmark (issue 24). Not part of CI.
# Two egress proxies (`burrow-bench egress-proxy`, each behind its own burrow-forwarder as in a burrow)
# in front of one nginx serving HTTPS on loopback with its own CA: one tunnels CONNECT (TLS end to
# end), one intercepts (TLS ended with the burrow CA, each request checked, TLS again upstream).
#   1. latency per request, curl's own time_total (no process start counted): keep-alive (N requests on
#      one connection, the first dropped) and new connections (CONNECT + handshake + request each);
#   2. proxy CPU per request (utime+stime of the proxy process over the keep-alive run);
#   3. memory per intercepted connection: the proxy's RSS with K idle intercepted connections open.
# Usage: benchmarks/interception.sh [REQUESTS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
source benchmarks/lib.sh
N=${1:-2000}
K=${2:-200}
swift build -c release --product burrow-bench >/dev/null
swift build -c release --product burrow-forwarder >/dev/null
bench_workdir interception
cd "$work"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 2 -subj '/CN=bench CA' \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key -out leaf.csr -subj /CN=bench.burrow.test 2>/dev/null
printf 'subjectAltName=DNS:bench.burrow.test\nextendedKeyUsage=serverAuth\n' > leaf.ext
openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out leaf.pem -days 2 -extfile leaf.ext 2>/dev/null
cd - >/dev/null
PORT=7985
cat > "$work/nginx.conf" <<NGINX
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$PORT ssl; ssl_certificate $work/leaf.pem; ssl_certificate_key $work/leaf.key;
           location / { default_type text/plain; return 200 'ok'; } }
}
NGINX
nginx -c "$work/nginx.conf" -g 'daemon off;' &
H=bench.burrow.test:$PORT
.build/release/burrow-bench egress-proxy --socket "$work/tunnel.sock" --allow "$H" --resolve bench.burrow.test=127.0.0.1 > "$work/tunnel.log" 2>&1 &
TUNNEL_PID=$!
.build/release/burrow-bench egress-proxy --socket "$work/intercept.sock" --allow "$H" --resolve bench.burrow.test=127.0.0.1 \
  --intercept "$H" --extra-ca "$work/ca.pem" --bundle "$work/bundle.pem" > "$work/intercept.log" 2>&1 &
INTERCEPT_PID=$!
for _ in $(seq 50); do [ -S "$work/tunnel.sock" ] && [ -S "$work/intercept.sock" ] && [ -f "$work/bundle.pem" ] && break; sleep 0.1; done
.build/release/burrow-forwarder --listen 127.0.0.1:3996 --to "$work/tunnel.sock" -- sleep 3600 &
.build/release/burrow-forwarder --listen 127.0.0.1:3997 --to "$work/intercept.sock" -- sleep 3600 &
sleep 0.5

cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # clock ticks
hz=$(getconf CLK_TCK)
pct() { sort -n | awk -v p="$1" '{a[NR]=$1} END {i=int(NR*p/100); if (i<1) i=1; printf "%.3f", a[i]*1000}'; }
urls() { for _ in $(seq "$1"); do printf -- '-o /dev/null https://%s/x ' "$H"; done; }
# The same trust store both ways: keep-alive with the host's CAs plus the one that signs what curl sees
# (as in a burrow); new connections with that one CA alone, because curl parses its whole bundle in
# every run (~140 certificates: 5-100 ms on a loaded machine), which would drown the proxy's share.
cat /etc/ssl/certs/ca-certificates.crt "$work/ca.pem" > "$work/tunnel-bundle.pem"
awk '/BEGIN CERT/{c=""} {c=c $0 "\n"} END{printf "%s", c}' "$work/bundle.pem" > "$work/burrow-ca.pem"

for mode in tunnel intercept; do
  if [ $mode = tunnel ]; then port=3996; ca=$work/tunnel-bundle.pem; one=$work/ca.pem; pid=$TUNNEL_PID
  else port=3997; ca=$work/bundle.pem; one=$work/burrow-ca.pem; pid=$INTERCEPT_PID; fi
  before=$(cpu $pid)
  # shellcheck disable=SC2046
  curl -s -w '%{time_total}\n' --proxy "http://127.0.0.1:$port" --cacert "$ca" $(urls $((N + 1))) | tail -n +2 > "$work/$mode-keep.txt"
  after=$(cpu $pid)
  cpu_us=$(awk -v a="$after" -v b="$before" -v hz="$hz" -v n="$N" 'BEGIN {printf "%.1f", (a-b)/hz/n*1e6}')
  # New connections: each curl run is one CONNECT + handshake + request (curl's time_total, no process start).
  before=$(cpu $pid)
  for _ in $(seq $((N / 10))); do
    curl -s -o /dev/null -w '%{time_total}\n' --proxy "http://127.0.0.1:$port" --cacert "$one" "https://$H/x"
  done > "$work/$mode-new.txt"
  new_cpu_us=$(awk -v a="$(cpu $pid)" -v b="$before" -v hz="$hz" -v n="$((N / 10))" 'BEGIN {printf "%.0f", (a-b)/hz/n*1e6}')
  echo "$mode: keep-alive p50_ms=$(pct 50 < "$work/$mode-keep.txt") p99_ms=$(pct 99 < "$work/$mode-keep.txt")" \
       " new-connection p50_ms=$(pct 50 < "$work/$mode-new.txt") p99_ms=$(pct 99 < "$work/$mode-new.txt")" \
       " proxy_cpu_us: per_keepalive_request=$cpu_us per_new_connection=$new_cpu_us"
done

python3 - "$INTERCEPT_PID" "$K" "$work/bundle.pem" "$PORT" <<'PY'
import socket, ssl, sys, time
pid, count, bundle, port = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
def rss():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"): return int(line.split()[1])
context = ssl.create_default_context(cafile=bundle)
def connect():
    raw = socket.create_connection(("127.0.0.1", 3997))
    raw.sendall(f"CONNECT bench.burrow.test:{port} HTTP/1.1\r\nHost: bench.burrow.test:{port}\r\n\r\n".encode())
    answer = b""
    while b"\r\n\r\n" not in answer: answer += raw.recv(1)
    tls = context.wrap_socket(raw, server_hostname="bench.burrow.test")
    tls.sendall(f"GET /x HTTP/1.1\r\nHost: bench.burrow.test:{port}\r\n\r\n".encode())
    tls.recv(4096)
    return tls
warm = [connect() for _ in range(10)]
time.sleep(0.5)
base = rss()
held = [connect() for _ in range(count)]
time.sleep(0.5)
print(f"intercept: {count} idle intercepted connections: proxy RSS +{(rss() - base) / count:.1f} KiB per connection (from {base / 1024:.1f} MiB)")
PY
