#!/usr/bin/env bash
# Burrow lifecycle benchmark (issue: lifecycle). Not part of CI. Run as root.
#   1. POST /api/burrows → first agent event on the SSE stream, vs `podman run` of the same image and
#      agent → its first stdout line; median of N each, in one run.
#   2. Container → SSE client latency (p50, p99) while one burrow floods ~50 MiB of events.
# Usage: benchmarks/lifecycle.sh [runs]; BURROW_BENCH_SANDBOX='{"userNamespace":"shared"}' sets the config's
# "sandbox" (to compare per-burrow id ranges, the default, with Podman's shared namespace).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
source benchmarks/lib.sh
use_test_podman
swift build -c release >/dev/null
bench_workdir lifecycle

mkdir -p "$work/repo" && git -C "$work/repo" init -q -b main && echo demo > "$work/repo/README.md"
git -C "$work/repo" add . && git -C "$work/repo" -c user.name=b -c user.email=b@b commit -qm init
export BURROW_TOKEN=bench-token
common="\"podmanSocket\":\"$BURROW_TEST_PODMAN_SOCKET\",\"image\":\"$BURROW_TEST_IMAGE\",\"network\":\"none\",\"caches\":[]${BURROW_BENCH_SANDBOX:+,\"sandbox\":$BURROW_BENCH_SANDBOX}"
printf '{"listen":"127.0.0.1:7991","stateDir":"%s/s1",%s,"repos":[{"name":"demo","path":"%s/repo"}]}' "$work" "$common" "$work" > "$work/one.json"
printf '{"listen":"127.0.0.1:7992","stateDir":"%s/s2",%s,"agentCommand":["burrow-stamp"],"taskInput":"argument","repos":[{"name":"flood","path":"%s/repo"}]}' "$work" "$common" "$work" > "$work/two.json"
.build/release/burrow serve --config "$work/one.json" > "$work/one.log" 2>&1 &
.build/release/burrow serve --config "$work/two.json" > "$work/two.log" 2>&1 &
# Both must answer before the clock starts (a loaded machine takes more than a second to start them).
for port in 7991 7992; do
  for _ in $(seq 200); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
done

first=$(.build/release/burrow-bench first-output --port 7991 --token bench-token --repo demo --runs "$runs")
ours=$(echo "$first" | head -1)
copy=$(echo "$first" | sed -n 's/^copy: //p')
cli=""
for i in $(seq "$runs"); do
  fifo="$work/fifo$i"; mkfifo "$fifo"; chmod 666 "$fifo"
  start=$(now_ms)
  (cd /tmp && as_user podman run --rm --network none "$BURROW_TEST_IMAGE" claude --dangerously-skip-permissions --output-format stream-json --verbose -p bench > "$fifo" 2>>"$work/podman-run.err") &
  # One reader for the whole output: reopening the FIFO after the first line would hang once a fast
  # container has already exited.
  exec 3< "$fifo"
  read -r _ <&3 || echo "podman run printed nothing (run $i)" >&2
  cli="$cli $(awk -v a="$start" -v b="$(now_ms)" 'BEGIN {printf "%.3f", b-a}')"
  cat <&3 > /dev/null; exec 3<&-; wait $! || true
done
ours_median=$(echo "$ours" | median)
cli_median=$(echo "$cli" | median)
copy_median=$(echo "$copy" | median)

sleep 5  # let the first part's burrows finish and their containers go
flood=$(.build/release/burrow-bench flood-latency --port 7992 --token bench-token --repo flood --count 51200 --size 1024 --repeat 5)
flood_rss=$(awk '/VmRSS/ {printf "%.1f", $2/1024}' /proc/$(pgrep -f "burrow serve --config $work/two.json")/status)

cat <<TABLE
| measure ($(date -u +%F), $(nproc) cores, runs=$runs) | result | target |
|---|---|---|
| POST /api/burrows → first agent event at an SSE client, median (includes host clone + archive upload) | $ours_median ms | ≤ 1.2× podman run + repo copy |
| podman run → first stdout line, median | $cli_median ms | yardstick |
| of which repo copy (host clone + tar + archive upload), median | $copy_median ms | — |
| ratio without the repo copy: (ours − copy) / podman run | $(awk -v a="$ours_median" -v c="$copy_median" -v b="$cli_median" 'BEGIN {printf "%.2f", (a-c)/b}') | ≤ 1.2 |
| container → SSE latency while one burrow floods 51,200 events × 1 KiB (50 MiB); 5 burrows in turn, all events pooled | $flood | p99 < 50 ms |
| Burrow RSS after the flood | $flood_rss MiB | — |
TABLE
echo "first-output samples (ms): ours: $ours / podman run: $cli" >&2
