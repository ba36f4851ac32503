#!/usr/bin/env bash
# The sandbox's download path measured from inside real containers (issue: sandbox). Not part of CI.
# A 500 MiB download from nginx on the host, by busybox wget in the test image, three ways:
#   host network  — `--network host`: the container shares the host's loopback (no sandbox)
#   slirp4netns   — rootless Podman's own network (`--network slirp4netns`)
#   burrow proxy  — a burrow's way: `--network none`, burrow-forwarder inside, Burrow's egress proxy
# Each way's median of 9 interleaved rounds; busybox `time` reads to 10 ms.
# Usage: benchmarks/sandbox-container.sh   — as root (uses scripts/test-env.sh's rootless Podman).
set -euo pipefail
cd "$(dirname "$0")/.."
source benchmarks/lib.sh
use_test_podman
swift build -c release >/dev/null
bench_workdir sandbox-container
mkdir -p "$work/run" && chmod 777 "$work/run"  # the container's user reaches the socket there
make_big_file
start_nginx 7984
start_egress_proxy "$work/run/proxy.sock" 7984
chmod 666 "$work/run/proxy.sock"
install -m 755 .build/release/burrow-forwarder "$work/forwarder"

seconds() { grep '^real' | sed 's/real[[:space:]]*\([0-9]*\)m \([0-9.]*\)s/\1 \2/' | awk '{print $1*60+$2}'; }
download() {  # $1: the way; the rest: podman run options before the image
  local url=$1; shift
  as_user podman run --rm "$@" "$BURROW_TEST_IMAGE" sh -c "time wget -q -O /dev/null $url" 2>&1 | seconds
}
through_proxy() {
  as_user podman run --rm --network none -v "$work/run:/run/burrow:ro" -v "$work/forwarder:/run/burrow-forwarder:ro" \
    -e http_proxy=http://127.0.0.1:3128 "$BURROW_TEST_IMAGE" /run/burrow-forwarder --listen 127.0.0.1:3128 \
    --to /run/burrow/proxy.sock -- sh -c "time wget -q -O /dev/null http://bench.burrow.test:7984/big.bin" 2>&1 | seconds
}
h=""; s=""; b=""
for _ in $(seq 9); do
  h="$h $(download http://127.0.0.1:7984/big.bin --network host)"
  s="$s $(download http://10.0.2.2:7984/big.bin --network slirp4netns:allow_host_loopback=true)"
  b="$b $(through_proxy)"
done
rate() { awk -v t="$1" 'BEGIN {printf "%.0f", 500 / t}'; }
host=$(echo "$h" | median); slirp=$(echo "$s" | median); proxy=$(echo "$b" | median)
cat <<TABLE
| 500 MiB by wget inside a container ($(date -u +%F), $(nproc) cores; medians of 9 interleaved rounds) | seconds | MiB/s | vs host network |
|---|---|---|---|
| host network (no sandbox) | $host | $(rate "$host") | 100% |
| rootless Podman's slirp4netns | $slirp | $(rate "$slirp") | $(awk -v a="$host" -v b="$slirp" 'BEGIN {printf "%.0f", 100*a/b}')% |
| burrow: no network, forwarder → egress proxy | $proxy | $(rate "$proxy") | $(awk -v a="$host" -v b="$proxy" 'BEGIN {printf "%.0f", 100*a/b}')% |
TABLE
