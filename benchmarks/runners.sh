#!/usr/bin/env bash
# Remote runners (issue 17). Not part of CI. Run as root: it prepares the test Podman
# (scripts/test-env.sh) and the test runner (scripts/runner-env.sh: sshd on 127.0.0.1, user
# burrowrunner with its own rootless Podman), then in one run:
#   1. POST /api/burrows → first agent event on the SSE stream, local Podman vs the SSH runner (median of N);
#   2. container → SSE client latency (p50/p99) while a burrow floods 51,200 events of 1 KiB, on each;
#   3. 8 burrows launched at once over two runners with maxConcurrent 4 each: where they ran, wall time.
# Both "machines" share this host's cores: the difference is what SSH and the relay cost, not a network.
# Usage: benchmarks/runners.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
source benchmarks/lib.sh
use_test_podman
eval "$(bash scripts/runner-env.sh 2>/dev/null)"
[ -n "${BURROW_TEST_RUNNER_HOST:-}" ] || { echo "runners.sh: no test runner (run as root)" >&2; exit 1; }
swift build -c release >/dev/null
bench_workdir runners

mkdir -p "$work/repo" && git -C "$work/repo" init -q -b main && echo demo > "$work/repo/README.md"
git -C "$work/repo" add . && git -C "$work/repo" -c user.name=b -c user.email=b@b commit -qm init
export BURROW_TOKEN=bench-token
far="{\"name\":\"far\",\"ssh\":\"$BURROW_TEST_RUNNER_USER@$BURROW_TEST_RUNNER_HOST:$BURROW_TEST_RUNNER_PORT\",\"identityFile\":\"$BURROW_TEST_RUNNER_IDENTITY\",\"knownHostsFile\":\"$BURROW_TEST_RUNNER_KNOWN_HOSTS\",\"maxConcurrent\":4}"
common="\"podmanSocket\":\"$BURROW_TEST_PODMAN_SOCKET\",\"image\":\"$BURROW_TEST_IMAGE\",\"network\":\"none\",\"caches\":[]"
repos="\"repos\":[{\"name\":\"demo\",\"path\":\"$work/repo\"},{\"name\":\"flood\",\"path\":\"$work/repo\"}]"
remote_only="\"runners\":[{\"name\":\"local\",\"repos\":[]},$far]"
# local: everything on the local Podman; remote: everything on the SSH runner; spread: both, 4 each.
printf '{"listen":"127.0.0.1:7981","stateDir":"%s/local",%s,%s}' "$work" "$common" "$repos" > "$work/local.json"
printf '{"listen":"127.0.0.1:7982","stateDir":"%s/remote",%s,%s,%s}' "$work" "$common" "$repos" "$remote_only" > "$work/remote.json"
printf '{"listen":"127.0.0.1:7983","stateDir":"%s/spread",%s,%s,"maxConcurrent":4,"agentCommand":["sh","-c","sleep 3; echo done"],"taskInput":"argument","runners":[%s]}' \
  "$work" "$common" "$repos" "$far" > "$work/spread.json"
for name in local remote spread; do .build/release/burrow serve --config "$work/$name.json" > "$work/$name.log" 2>&1 & done
answering() { for _ in $(seq 200); do curl -sf -H "Authorization: Bearer bench-token" "http://127.0.0.1:$1/api/health" >/dev/null && return 0; sleep 0.1; done; return 1; }
for port in 7981 7982 7983; do answering "$port"; done

first() {
  local out
  out=$(.build/release/burrow-bench first-output --port "$1" --token bench-token --repo demo --runs "$runs" 2>>"$work/bench.err") \
    || { echo "runners.sh: first-output on port $1 failed:" >&2; for f in "$work/bench.err" "$work"/*.log; do echo "== $f" >&2; tail -n 5 "$f" >&2; done; exit 1; }
  echo "$out" | head -1 | median
}
local_first=$(first 7981)
remote_first=$(first 7982)
# burrow-stamp (in the test image) prints each event with the time it was written in the container.
flood() {
  python3 - "$1" <<'PY'
import json, sys
path = sys.argv[1]
config = json.load(open(path)); config["agentCommand"] = ["burrow-stamp"]; config["taskInput"] = "argument"
json.dump(config, open(path, "w"))
PY
}
kill_serve() { kill "$(pgrep -f "burrow serve --config $work/$1.json")" 2>/dev/null || true; sleep 1; }
for name in local remote; do kill_serve "$name"; flood "$work/$name.json"; .build/release/burrow serve --config "$work/$name.json" >> "$work/$name.log" 2>&1 & done
answering 7981; answering 7982
local_flood=$(.build/release/burrow-bench flood-latency --port 7981 --token bench-token --repo flood --count 51200 --size 1024 --repeat 3)
remote_flood=$(.build/release/burrow-bench flood-latency --port 7982 --token bench-token --repo flood --count 51200 --size 1024 --repeat 3)

# 8 at once over two runners, 4 slots each.
start=$(now_ms)
for i in $(seq 8); do
  curl -sf -H "Authorization: Bearer bench-token" -H 'Content-Type: application/json' \
    -d "{\"repo\":\"demo\",\"task\":\"spread $i\"}" http://127.0.0.1:7983/api/burrows > /dev/null
done
spread=""
for _ in $(seq 600); do
  spread=$(curl -sf -H "Authorization: Bearer bench-token" http://127.0.0.1:7983/api/burrows)
  echo "$spread" | python3 -c 'import json,sys; r=json.load(sys.stdin); sys.exit(0 if len(r)==8 and all(b["state"] in ("succeeded","failed","stopped") for b in r) else 1)' && break
  sleep 0.2
done
spread_ms=$(awk -v a="$start" -v b="$(now_ms)" 'BEGIN {printf "%.0f", b-a}')
placement=$(echo "$spread" | python3 -c 'import json,sys,collections; r=json.load(sys.stdin); print(", ".join(f"{k}: {v}" for k,v in sorted(collections.Counter(b.get("runner") or "local" for b in r).items())), "·", collections.Counter(b["state"] for b in r).most_common())')

# Every burrow torn down (containers and volumes, local and on the runner) before the servers stop.
for port in 7981 7982 7983; do
  ids=$(curl -sf -H "Authorization: Bearer bench-token" "http://127.0.0.1:$port/api/burrows" | python3 -c 'import json,sys; print(" ".join(b["id"] for b in json.load(sys.stdin)))' || true)
  for id in $ids; do curl -sf -X DELETE -H "Authorization: Bearer bench-token" "http://127.0.0.1:$port/api/burrows/$id?purge=true" >/dev/null || true; done
done

cat <<TABLE
| measure ($(date -u +%F), $(nproc) cores, runs=$runs) | local Podman | SSH runner (loopback) |
|---|---|---|
| POST → first agent event, median ms | $local_first | $remote_first |
| container → SSE client, 51,200 × 1 KiB events × 3 | $local_flood | $remote_flood |
| 8 burrows (sleep 3) at once, 4 slots on each runner: wall ms / placement | $spread_ms / $placement | |
TABLE
