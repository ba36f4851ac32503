#!/usr/bin/env bash
# Repo-scale benchmark (issue: the repository's crossing). Not part of CI. Run as root.
# Three deterministic repos (1 file; 5,000 files / ~60 MB; 30,000 files / ~470 MB, generated once into
# /var/tmp/burrow-repo-scale), each launched once cold (fresh state dir: the workspace is filled from
# the store, the template image made in the background, waited for) and WARM more times, by an agent
# (`sh -c`) that appends one line to one file and exits. Prints
# POST → first agent event and last agent event → `end` (work home), medians, Burrow's peak RSS,
# and a plain `git clone` of each repo for the first-launch target.
# Usage: benchmarks/repo-scale.sh [WARM]; BURROW_BENCH_SANDBOX='{"userNamespace":"shared"}' sets the
# config's sandbox section; BURROW_BENCH_REPOS="1 30000" picks repos. Every burrow is kept, so with per-burrow id ranges (the default) each takes
# a new range: each warm launch starts once Burrow has made that range ready (its background work after
# the launch before: the template for the next range), as a user's next task would a little later; the
# last column is a second launch right after a first (no time to make its range ready).
set -euo pipefail
cd "$(dirname "$0")/.."
warm=${1:-5}
source benchmarks/lib.sh
use_test_podman
swift build -c release >/dev/null
bench_workdir repo-scale
cache=/var/tmp/burrow-repo-scale
mkdir -p "$cache"
for spec in "1 100" "5000 12000" "30000 15700"; do
  set -- $spec
  [ -d "$cache/r$1/.git" ] || { echo "generating the $1-file repo…" >&2; python3 benchmarks/make-scale-repo.py "$cache/r$1" "$1" "$2"; }
done
export BURROW_TOKEN=bench-token
port=7993
field() { tr ' ' '\n' | sed -n "s/^$1=//p"; }
template_images() { as_user podman images --format '{{.Repository}}:{{.Tag}}' | grep "^localhost/burrow-workspace-scale-" || true; }
# Waits (at most 5 minutes) until there are N template images of the repo.
wait_templates() { for _ in $(seq 1200); do [ "$(template_images | wc -l)" -ge "$1" ] && return; sleep 0.25; done; echo "timed out waiting for $1 templates" >&2; }
# Template images each launch leaves (its range's and the next range's): none more in the shared mapping.
case "${BURROW_BENCH_SANDBOX:-}" in *shared*|*'"prepareNextRange":false'*) step=0 ;; *) step=1 ;; esac
for image in $(template_images); do as_user podman rmi "$image" >/dev/null 2>&1 || true; done

echo "| repo (work tree / .git) | plain git clone | first launch: POST → first event | first: agent → end | template image ready (from POST) | warm: POST → first event (median of $warm) | warm: agent → end (median) | back to back: second launch's POST → first event | Burrow peak RSS |"
echo "|---|---|---|---|---|---|---|---|---|"
for files in ${BURROW_BENCH_REPOS:-1 5000 30000}; do
  repo=$cache/r$files
  clones=""
  for _ in 1 2 3; do
    rm -rf "$work/clone"; start=$(now_ms); git clone -q "$repo" "$work/clone"
    clones="$clones $(awk -v a="$start" -v b="$(now_ms)" 'BEGIN {printf "%.1f", b-a}')"
  done
  rm -rf "$work/clone"
  state=$work/state-$files
  printf '{"listen":"127.0.0.1:%s","stateDir":"%s","podmanSocket":"%s","image":"%s","network":"none","caches":[],"agentCommand":["sh","-c"],"taskInput":"argument"%s,"repos":[{"name":"scale","path":"%s"}]}' \
    "$port" "$state" "$BURROW_TEST_PODMAN_SOCKET" "$BURROW_TEST_IMAGE" "${BURROW_BENCH_SANDBOX:+,\"sandbox\":$BURROW_BENCH_SANDBOX}" "$repo" > "$work/config-$files.json"
  .build/release/burrow serve --config "$work/config-$files.json" > "$work/serve-$files.log" 2>&1 &
  pid=$!
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/api/health" -H "Authorization: Bearer bench-token" >/dev/null && break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null || { echo "burrow serve exited (another one on port $port?): $(tail -3 "$work/serve-$files.log")" >&2; exit 1; }
  start=$(now_ms)
  failed() { echo "a launch failed; the last records and Burrow's log:" >&2; curl -s "http://127.0.0.1:$port/api/burrows" -H "Authorization: Bearer bench-token" | tail -c 3000 >&2; tail -20 "$work/serve-$files.log" >&2; exit 1; }
  cold=$(.build/release/burrow-bench repo-scale --port "$port" --repo scale --runs 1) || failed
  # The first launch fills its own workspace; the template image for later launches follows in the
  # background (and, with per-burrow ranges, the next range's): wait for it, so that the warm launches
  # measure launches over the template.
  wait_templates 1
  ready=$(awk -v a="$start" -v b="$(now_ms)" 'BEGIN {printf "%.0f", b-a}')
  wait_templates $((1 + step))
  hot=""
  for launch in $(seq "$warm"); do
    hot="$hot $(.build/release/burrow-bench repo-scale --port "$port" --repo scale --runs 1)"
    wait_templates $((1 + step * (launch + 1)))
  done
  burst=$(.build/release/burrow-bench repo-scale --port "$port" --repo scale --runs 2 | tail -1)
  # Burrow's background work ends (the back-to-back pair's ranges and the next one) before it stops.
  wait_templates $((1 + step * (warm + 3)))
  rss=$(awk '/VmHWM/ {printf "%.1f", $2/1024}' /proc/$pid/status)
  for id in $(curl -s "http://127.0.0.1:$port/api/burrows" -H "Authorization: Bearer bench-token" | python3 -c 'import json,sys; [print(b["id"]) for b in json.load(sys.stdin)]'); do
    curl -s -X DELETE "http://127.0.0.1:$port/api/burrows/$id?purge=true" -H "Authorization: Bearer bench-token" >/dev/null
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true
  for image in $(template_images); do as_user podman rmi "$image" >/dev/null 2>&1 || true; done
  size="$(du -sh --exclude=.git "$repo" | cut -f1) / $(du -sh "$repo/.git" | cut -f1)"
  echo "| $files files ($size) | $(echo "$clones" | median) ms | $(echo "$cold" | field first) ms | $(echo "$cold" | field home) ms | $ready ms | $(echo "$hot" | field first | median) ms | $(echo "$hot" | field home | median) ms | $(echo "$burst" | field first) ms | $rss MiB |"
  echo "samples $files: cold $cold / warm $(echo $hot) / back to back $burst" >&2
done
