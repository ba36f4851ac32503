#!/usr/bin/env bash
# Podman client benchmark (issue: Podman client). Not part of CI.
#   Lifecycle: create+start+wait+remove of a `true` container, median of N, through Burrow's client,
#   through curl --unix-socket (same four calls), and `podman run --rm`, in one run.
#   Logs: a container writing 200 MiB to stdout, read through Burrow's demultiplexer vs `podman logs -f`.
# Usage: benchmarks/podman.sh [runs] [mib]   — run as root (uses scripts/test-env.sh's Podman).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
mib=${2:-200}
source benchmarks/lib.sh
use_test_podman
swift build -c release >/dev/null
sock=$BURROW_TEST_PODMAN_SOCKET
image=$BURROW_TEST_IMAGE

ours=$(.build/release/burrow-bench podman-lifecycle --socket "$sock" --image "$image" --runs "$runs")
curl_times=""
for i in $(seq "$runs"); do
  start=$(now_ms)
  id=$(curl -sf --unix-socket "$sock" -X POST -H 'Content-Type: application/json' \
    -d "{\"image\":\"$image\",\"command\":[\"true\"],\"netns\":{\"nsmode\":\"none\"}}" \
    http://d/v4.0.0/libpod/containers/create | sed 's/.*"Id":"\([0-9a-f]*\)".*/\1/')
  curl -sf --unix-socket "$sock" -X POST "http://d/v4.0.0/libpod/containers/$id/start" >/dev/null
  curl -sf --unix-socket "$sock" -X POST "http://d/v4.0.0/libpod/containers/$id/wait?condition=exited" >/dev/null
  curl -sf --unix-socket "$sock" -X DELETE "http://d/v4.0.0/libpod/containers/$id?force=true&volumes=true" >/dev/null
  curl_times="$curl_times $(awk -v a="$start" -v b="$(now_ms)" 'BEGIN {printf "%.3f", b-a}')"
done
cli_times=""
for i in $(seq "$runs"); do
  start=$(now_ms)
  (cd /tmp && as_user podman run --rm --network none "$image" true)
  cli_times="$cli_times $(awk -v a="$start" -v b="$(now_ms)" 'BEGIN {printf "%.3f", b-a}')"
done
ours_median=$(echo "$ours" | median)
curl_median=$(echo "$curl_times" | median)
cli_median=$(echo "$cli_times" | median)

ours_logs=$(.build/release/burrow-bench podman-logs --socket "$sock" --image "$image" --mib "$mib")
ours_attach=$(.build/release/burrow-bench podman-attach --socket "$sock" --image "$image" --mib "$mib")
attach_mibs=$(echo "$ours_attach" | sed 's/.*mib_per_s=//')
ours_mibs=$(echo "$ours_logs" | sed 's/.*mib_per_s=//')
# The same complete log read with curl through the API, and with the CLI (which reads the log file
# directly, not through the API service).
name=burrow-bench-cli-logs-$$
(cd /tmp && as_user podman run --name "$name" --network none "$image" sh -c "yes 'burrow log throughput line 0123456789 abcdefghijklmnopqrstuvwxyz' | head -c $((mib * 1048576))" >/dev/null)
start=$(now_ms)
curl -sf --unix-socket "$sock" "http://d/v4.0.0/libpod/containers/$name/logs?stdout=true&stderr=true" > /dev/null
curl_mibs=$(awk -v m="$mib" -v a="$start" -v b="$(now_ms)" 'BEGIN {printf "%.1f", m/((b-a)/1000)}')
start=$(now_ms)
(cd /tmp && as_user podman logs "$name" > /dev/null)
cli_mibs=$(awk -v m="$mib" -v a="$start" -v b="$(now_ms)" 'BEGIN {printf "%.1f", m/((b-a)/1000)}')
(cd /tmp && as_user podman rm -f "$name" >/dev/null)

cat <<TABLE
| measure ($(date -u +%F), $(nproc) cores, Podman $(podman --version | awk '{print $3}'), runs=$runs) | result | target |
|---|---|---|
| create+start+wait+remove, Burrow's client, median | $ours_median ms | within 5% of curl |
| same four calls with curl --unix-socket, median | $curl_median ms | yardstick |
| podman run --rm, median | $cli_median ms | — |
| Burrow / curl | $(awk -v a="$ours_median" -v b="$curl_median" 'BEGIN {printf "%.3f", a/b}') | ≤ 1.05 |
| ${mib} MiB of stdout through Burrow's demultiplexer + line assembler | $ours_mibs MiB/s ($ours_logs) | ≥ 90% of CLI |
| ${mib} MiB through the API with curl > /dev/null | $curl_mibs MiB/s | same path |
| ${mib} MiB through podman logs > /dev/null (reads the file, not the API) | $cli_mibs MiB/s | yardstick |
| Burrow / curl (same API path) | $(awk -v a="$ours_mibs" -v b="$curl_mibs" 'BEGIN {printf "%.2f", a/b}') | — |
| Burrow / CLI log throughput (logs API) | $(awk -v a="$ours_mibs" -v b="$cli_mibs" 'BEGIN {printf "%.2f", a/b}') | ≥ 0.90 |
| ${mib} MiB live through Burrow's attach stream + demultiplexer + line assembler | $attach_mibs MiB/s ($ours_attach) | — |
| Burrow (attach) / CLI | $(awk -v a="$attach_mibs" -v b="$cli_mibs" 'BEGIN {printf "%.2f", a/b}') | ≥ 0.90 |
TABLE
