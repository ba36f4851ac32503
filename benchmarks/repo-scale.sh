#!/usr/bin/env bash
# Repo-scale benchmark (issue: the repository's crossing). Not part of CI. Run as root.
# Three deterministic repos (1 file; 5,000 files / ~60 MB; 30,000 files / ~470 MB, generated once into
# /var/tmp/burrow-repo-scale), each launched once cold (fresh state dir: the workspace is filled from
# the store, the template image made in the background, waited for) and WARM more times, by an agent
# (`sh -c`) that appends one line to one file and exits. Prints
# POST → first agent event and last agent event → `end` (work home), medians, Burrow's peak RSS,
# and a plain `git clone` of each repo for the first-launch target.
# Usage: benchmarks/repo-scale.sh [WARM]; BURROW_BENCH_PODMAN5=1 measures Podman 5; BURROW_BENCH_SANDBOX='{"userNamespace":"shared"}' sets the
# config's sandbox section; BURROW_BENCH_REPOS="1 30000" picks repos. Every burrow is kept, so with per-burrow id ranges (the default) each takes
# a new range: each warm launch starts once Burrow has made that range ready (its background work after
# the launch before: the template for the next range), as a user's next task would a little later; the
# "back to back" is a second launch right after a first ended (no time for background work: issue 26's
# "a launch right after another burrow ended"); then ATTEMPTS (default 4) attempts launched together in
# one group (benchmarks/group_launch.py), and the disk their workspaces take: the distinct template
# images under them plus each workspace's own layer (an image volume's upper, or a filled volume).
# Between steps the script waits until Burrow's background work is done (no range helper container, no
# git child of Burrow, the template images unchanged, for 15 s). BURROW_BENCH_BIN=DIR runs the binaries
# in DIR (e.g. another checkout's release build) instead of building this one; BURROW_BENCH_LOGS=DIR keeps
# each Burrow's log there. BURROW_BENCH_AGENT_SECONDS=S: the agent works S seconds between its first line and its
# last (default 0: it exits at once; a real agent's turn lasts seconds, and the way-home helper is started
# while it works, so with 0 that start races the agent's exit).
set -euo pipefail
cd "$(dirname "$0")/.."
warm=${1:-5}
source benchmarks/lib.sh
use_test_podman
# BURROW_BENCH_PODMAN5=1: Podman 5.4.2 instead (scripts/podman5-env.sh's service in its trixie rootfs),
# reached by the host's podman CLI as a remote client; its storage paths lie under the rootfs.
storage_root=""
if [ -n "${BURROW_BENCH_PODMAN5:-}" ]; then
  eval "$(bash scripts/podman5-env.sh 2>/dev/null)"
  storage_root=${BURROW_PODMAN5_ROOT:-/var/cache/burrow/podman5-root}
  as_user() { [ "$1" = podman ] || { echo "as_user: only podman with BURROW_BENCH_PODMAN5" >&2; return 1; }; shift; podman --url "unix://$BURROW_TEST_PODMAN_SOCKET" "$@"; }
fi
bin=${BURROW_BENCH_BIN:-.build/release}
[ -n "${BURROW_BENCH_BIN:-}" ] || swift build -c release >/dev/null
attempts=${ATTEMPTS:-4}
storage=$storage_root$(as_user podman info --format '{{.Store.GraphRoot}}')
bench_workdir repo-scale
cache=/var/tmp/burrow-repo-scale
mkdir -p "$cache"
for spec in "1 100" "5000 12000" "30000 15700"; do
  set -- $spec
  [ -d "$cache/r$1/.git" ] || { echo "generating the $1-file repo…" >&2; python3 benchmarks/make-scale-repo.py "$cache/r$1" "$1" "$2"; }
done
export BURROW_TOKEN=bench-token
port=${BURROW_BENCH_PORT:-7996}
field() { tr ' ' '\n' | sed -n "s/^$1=//p"; }
template_images() { as_user podman images --format '{{.Repository}}:{{.Tag}}' | grep "^localhost/burrow-workspace-scale-" || true; }
# Waits (at most 6 minutes) until Burrow's background work has been quiet for 15 s: no range helper
# container, no child process of Burrow (the template's git stream), the template images unchanged.
settle() {
  local quiet=0 last="" now
  for _ in $(seq 720); do
    now=$(template_images | sort | tr '\n' ' ')
    if [ "$now" = "$last" ] && ! pgrep -P "$pid" -x git >/dev/null && ! as_user podman ps -a --format '{{.Names}}' | grep -q '^burrow-range-'; then
      quiet=$((quiet + 1)); [ "$quiet" -ge 30 ] && return
    else quiet=0; fi
    last=$now; sleep 0.5
  done
  echo "Burrow's background work did not settle in 6 minutes" >&2
}
# The disk a group's workspaces take: distinct template images under them + each one's own layer.
group_disk() {
  local images="" own=0 kinds="" driver image sid layer bytes
  for id in "$@"; do
    read -r driver image sid < <(as_user podman volume inspect "burrow-$id-workspace" --format '{{.Driver}} {{index .Options "image"}} {{.StorageID}}')
    if [ "$driver" = image ]; then
      layer=$(python3 -c 'import json,sys; print(next(c["layer"] for c in json.load(open(sys.argv[1])) if c["id"] == sys.argv[2]))' "$storage/overlay-containers/containers.json" "$sid")
      bytes=$(du -sb "$storage/overlay/$layer/diff" | cut -f1); images="$images $image"; kinds="${kinds}over-template "
    else
      bytes=$(du -sb "$storage/volumes/burrow-$id-workspace/_data" | cut -f1); kinds="${kinds}filled "
    fi
    own=$((own + bytes))
  done
  local templates=0 distinct=0
  for image in $(echo "$images" | tr ' ' '\n' | sort -u); do
    templates=$((templates + $(as_user podman image inspect "$image" --format '{{.Size}}'))); distinct=$((distinct + 1))
  done
  echo "templates=$distinct template_mb=$((templates / 1048576)) own_mb=$(awk -v b=$own 'BEGIN {printf "%.1f", b/1048576}') kinds=$(echo $kinds | tr ' ' ,)"
}
for image in $(template_images); do as_user podman rmi "$image" >/dev/null 2>&1 || true; done

echo "| repo (work tree / .git) | plain git clone | first launch: POST → first event | first: agent → end | template image ready (from POST) | warm: POST → first event (median of $warm) | warm: agent → end (median) | back to back: second launch's POST → first event | back to back: agent → end | $attempts attempts together: POST → first event (max) | the attempts: agent → end (max) | the attempts' disk: templates + own layers | Burrow peak RSS |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
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
  $bin/burrow serve --config "$work/config-$files.json" > "$work/serve-$files.log" 2>&1 &
  pid=$!
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/api/health" -H "Authorization: Bearer bench-token" >/dev/null && break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null || { echo "burrow serve exited (another one on port $port?): $(tail -3 "$work/serve-$files.log")" >&2; exit 1; }
  start=$(now_ms)
  failed() { echo "a launch failed; the last records and Burrow's log:" >&2; curl -s "http://127.0.0.1:$port/api/burrows" -H "Authorization: Bearer bench-token" | tail -c 3000 >&2; tail -20 "$work/serve-$files.log" >&2; exit 1; }
  cold=$($bin/burrow-bench repo-scale --port "$port" --repo scale --runs 1) || failed
  # The first launch fills its own workspace; the template image for later launches follows in the
  # background (and, with per-burrow ranges, the next range's): wait for it, so that the warm launches
  # measure launches over the template.
  for _ in $(seq 1200); do [ -n "$(template_images)" ] && break; sleep 0.25; done
  ready=$(awk -v a="$start" -v b="$(now_ms)" 'BEGIN {printf "%.0f", b-a}')
  settle
  hot=""
  for launch in $(seq "$warm"); do
    hot="$hot $($bin/burrow-bench repo-scale --port "$port" --repo scale --runs 1)"
    settle
  done
  burst=$($bin/burrow-bench repo-scale --port "$port" --repo scale --runs 2 | tail -1)
  settle
  group=$(python3 benchmarks/group_launch.py "$port" bench-token scale "$attempts") || failed
  disk=$(group_disk $(echo "$group" | sed -n 's/.* id=//p'))
  # Burrow's background work ends before it stops.
  settle
  rss=$(awk '/VmHWM/ {printf "%.1f", $2/1024}' /proc/$pid/status)
  for id in $(curl -s "http://127.0.0.1:$port/api/burrows" -H "Authorization: Bearer bench-token" | python3 -c 'import json,sys; [print(b["id"]) for b in json.load(sys.stdin)]'); do
    curl -s -X DELETE "http://127.0.0.1:$port/api/burrows/$id?purge=true" -H "Authorization: Bearer bench-token" >/dev/null
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true
  [ -z "${BURROW_BENCH_LOGS:-}" ] || cp "$work/serve-$files.log" "$BURROW_BENCH_LOGS/"
  for image in $(template_images); do as_user podman rmi "$image" >/dev/null 2>&1 || true; done
  size="$(du -sh --exclude=.git "$repo" | cut -f1) / $(du -sh "$repo/.git" | cut -f1)"
  echo "| $files files ($size) | $(echo "$clones" | median) ms | $(echo "$cold" | field first) ms | $(echo "$cold" | field home) ms | $ready ms | $(echo "$hot" | field first | median) ms | $(echo "$hot" | field home | median) ms | $(echo "$burst" | field first) ms | $(echo "$burst" | field home) ms | $(echo "$group" | field first | sort -n | tail -1) ms | $(echo "$group" | field home | sort -n | tail -1) ms | $(echo "$disk" | field templates) × $(echo "$disk" | field template_mb) MB + $(echo "$disk" | field own_mb) MB ($(echo "$disk" | field kinds)) | $rss MiB |"
  echo "samples $files: cold $cold / warm $(echo $hot) / back to back $burst / group $(echo $group) / disk $disk / load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
done
