#!/usr/bin/env bash
# HTTP server benchmark (issue: server foundation). Not part of CI.
#   wrk against /api/health and a static file, nginx (2 workers, same JSON as a file) as yardstick,
#   then 1,000 SSE clients on one stream with the server's RSS before and after.
# Usage: benchmarks/http.sh [seconds]   — prints a Markdown table to paste into BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
bash scripts/install-packages.sh >/dev/null
source benchmarks/lib.sh
swift build -c release >/dev/null
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
bench_workdir bench
rss() { awk '/VmRSS/ {printf "%.1f", $2/1024}' /proc/$1/status; }

# Burrow itself, with its real routes.
export BURROW_TOKEN=bench-token
printf '{"listen":"127.0.0.1:7981","stateDir":"%s/state"}' "$work" > "$work/burrow.json"
.build/release/burrow serve --config "$work/burrow.json" > "$work/burrow.log" 2>&1 &
burrow_pid=$!
# nginx serving the same JSON.
mkdir -p "$work/www"
curl -s -H "Authorization: Bearer bench-token" http://127.0.0.1:7981/api/health -o /dev/null --retry 20 --retry-connrefused --retry-delay 0
curl -s -H "Authorization: Bearer bench-token" http://127.0.0.1:7981/api/health > "$work/www/health.json"
start_nginx 7982 "location / { default_type application/json; }" 4096
sleep 1
idle=$(rss $burrow_pid)

run_wrk() { wrk -t1 -c50 -d${seconds}s "$@" | awk '/Requests\/sec/ {print $2}'; }
nginx_rps=$(run_wrk http://127.0.0.1:7982/health.json)
health_rps=$(run_wrk -H "Authorization: Bearer bench-token" http://127.0.0.1:7981/api/health)
static_rps=$(run_wrk http://127.0.0.1:7981/index.html)
after_load=$(rss $burrow_pid)

# SSE fan-out: a bench server with one stream and a publish route.
.build/release/burrow-bench sse-server --port 7983 > "$work/sse.log" 2>&1 &
sse_pid=$!
sleep 1
sse_before=$(rss $sse_pid)
.build/release/burrow-bench sse-clients --port 7983 --clients 1000 --events 200 > "$work/clients.log" 2>&1 &
clients_pid=$!
for _ in $(seq 100); do
  n=$(curl -s -H "Authorization: Bearer bench-token" http://127.0.0.1:7983/api/subscribers || echo 0)
  [ "$n" = 1000 ] && break; sleep 0.1
done
sse_held=$(rss $sse_pid)
start=$(date +%s.%N)
curl -s -X POST -H "Authorization: Bearer bench-token" "http://127.0.0.1:7983/api/publish?count=200&size=200" >/dev/null
wait $clients_pid && sse_ok=yes || sse_ok=no
end=$(date +%s.%N)
sse_after=$(rss $sse_pid)

ratio=$(awk -v a="$health_rps" -v b="$nginx_rps" 'BEGIN {printf "%.2f", a/b}')
cat <<TABLE
| measure ($(date -u +%F), $(nproc) cores) | result | target |
|---|---|---|
| nginx 2 workers, health.json, wrk -t1 -c50 -d${seconds}s | $nginx_rps req/s | yardstick |
| Burrow GET /api/health (keep-alive, with token) | $health_rps req/s (${ratio}× nginx) | ≥ 0.9× nginx |
| Burrow GET /index.html (static) | $static_rps req/s | — |
| Burrow idle RSS | $idle MiB | < 15 MiB |
| Burrow RSS after the wrk runs | $after_load MiB | — |
| SSE bench server RSS: idle / 1,000 clients held / after 200 events each | $sse_before / $sse_held / $sse_after MiB | growth < 50 MiB |
| 1,000 SSE clients × 200 events, all received in order | $sse_ok ($(cat "$work/clients.log" | tail -1)) | every event |
| fan-out time from publish to the last client's last event | $(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.2f", b-a}') s | — |
TABLE
