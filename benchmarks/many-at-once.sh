#!/usr/bin/env bash
# Many burrows at once (issue 26, item 5). Not part of CI. Run as root after scripts/test-env.sh.
# BURROWS burrows launched together (maxConcurrent = BURROWS), each agent printing ~1,000 lines a second
# for SECONDS (`burrow-stamp` lines carrying the CLOCK_REALTIME they were written at, 100 every 0.1 s);
# one SSE client per burrow. Prints Burrow's CPU (% of one core over the run), its RSS (now and peak),
# the line → SSE delay p50/p99/max, lines seen against lines printed, how many burrows ended, and the
# records' start-up phases (p50/max).
# Usage: benchmarks/many-at-once.sh [BURROWS] [SECONDS]; BURROW_BENCH_SANDBOX='{"userNamespace":"shared"}'
# (the default here, as the figures of 25a45aa were taken) or '{}' for per-burrow id ranges.
set -euo pipefail
cd "$(dirname "$0")/.."
burrows=${1:-32}
seconds=${2:-10}
source benchmarks/lib.sh
use_test_podman
swift build -c release >/dev/null
bench_workdir many

mkdir -p "$work/repo" && git -C "$work/repo" init -q -b main && echo demo > "$work/repo/README.md"
git -C "$work/repo" add . && git -C "$work/repo" -c user.name=b -c user.email=b@b commit -qm init
export BURROW_TOKEN=bench-token
agent='n=$(($1 * 10)); i=0; while [ $i -lt $n ]; do burrow-stamp 100 16; sleep 0.1; i=$((i + 1)); done'
sandbox=${BURROW_BENCH_SANDBOX:-'{"userNamespace":"shared"}'}
python3 - "$work" "$agent" "$burrows" "$sandbox" <<'PY'
import json, os, sys
work, agent, burrows, sandbox = sys.argv[1], sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4])
json.dump({"listen": "127.0.0.1:7993", "stateDir": work + "/state", "podmanSocket": os.environ["BURROW_TEST_PODMAN_SOCKET"],
           "image": os.environ["BURROW_TEST_IMAGE"], "network": "none", "caches": [], "maxConcurrent": burrows, "sandbox": sandbox,
           "agentCommand": ["sh", "-c", agent, "sh"], "taskInput": "argument", "repos": [{"name": "many", "path": work + "/repo"}]},
          open(work + "/burrow.json", "w"))
PY
.build/release/burrow serve --config "$work/burrow.json" > "$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 200); do curl -s -o /dev/null "http://127.0.0.1:7993/" && break; sleep 0.1; done
bench() { .build/release/burrow-bench many-at-once --port 7993 --token bench-token --repo many "$@"; }
bench --burrows 1 --seconds 1 --lines 1000 > /dev/null  # warm: the repo's template

ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
before=$(ticks); start=$(now_ms)
result=$(bench --burrows "$burrows" --seconds "$seconds" --lines $((seconds * 1000)) --limit $((seconds * 10 + 240)))
after=$(ticks); end=$(now_ms)
cpu=$(awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v ms="$(awk -v a="$start" -v b="$end" 'BEGIN {print b - a}')" 'BEGIN {printf "%.1f", t / hz / (ms / 1000) * 100}')
rss=$(awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status")
peak=$(awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status")
echo "$result"
echo "| $burrows burrows at once, each agent ~1,000 lines/s for $seconds s (sandbox $sandbox, $(nproc) cores) | CPU $cpu% of one core over $(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.0f", (b - a) / 1000}') s; RSS $rss MiB (peak $peak MiB) | CPU < 25%, RSS < 64 MiB |"
echo "| same: line → SSE delay, lines, ends | $(echo "$result" | head -1) | p99 < 100 ms, no lost line, all end |"
echo "| same: delay by when the line was written | $(echo "$result" | sed -n "s/^delay by when written //p") | — |"
echo "| same: start-up per phase (records' \`startup\`) | $(echo "$result" | sed -n 's/^startup //p') | — |"
for id in $(curl -s -H "Authorization: Bearer bench-token" http://127.0.0.1:7993/api/burrows | python3 -c 'import json,sys; print(" ".join(r["id"] for r in json.load(sys.stdin)))'); do
  curl -s -o /dev/null -X DELETE -H "Authorization: Bearer bench-token" "http://127.0.0.1:7993/api/burrows/$id"
done
kill "$pid"; wait "$pid" 2>/dev/null || true
.build/release/burrow gc --config "$work/burrow.json" > /dev/null 2>&1 || true
