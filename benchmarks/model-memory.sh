#!/usr/bin/env bash
# Model endpoint memory under a body flood (issue 22, item 3). Not part of CI.
# The agent's attack: 40 model requests at once, each with a 31 MiB body (under the 32 MiB cap),
# straight at a burrow's egress socket. Served by the same EgressProxy + ModelEndpoint a burrow gets
# (`burrow-bench egress-proxy`, the process that plays `burrow`) and the real `burrow-vault` it
# starts, forwarding to nginx on 127.0.0.1:7986. Reported from /proc/PID/status of both processes:
# VmRSS before, VmHWM (peak) during, VmRSS 5 s after. Answers are counted by status.
# Usage: benchmarks/model-memory.sh            (release build)
#        BURROW_BENCH_BUILD=debug benchmarks/model-memory.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source benchmarks/lib.sh
build=${BURROW_BENCH_BUILD:-release}
[ "$build" = release ] && swift build -c release >/dev/null
bin=.build/$build
bench_workdir model-memory
answer='{"id":"msg_bench","type":"message","model":"claude-opus-5-5","content":[{"type":"text","text":"ok"}],"usage":{"input_tokens":10,"output_tokens":1}}'
start_nginx 7986 "client_max_body_size 64m; location = /v1/messages { default_type application/json; return 200 '$answer'; }"
"$bin/burrow-bench" egress-proxy --socket "$work/proxy.sock" --upstream http://127.0.0.1:7986 --key sk-ant-bench-key > "$work/proxy.log" 2>&1 &
proxy=$!
for _ in $(seq 50); do [ -S "$work/proxy.sock" ] && break; sleep 0.1; done
status() { awk -v k="$2:" '$1 == k {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
python3 benchmarks/body-flood.py "$work/proxy.sock" 1 1024 >/dev/null   # starts the vault
vault=$(pgrep -P "$proxy" -x burrow-vault)
b0=$(status "$proxy" VmRSS); v0=$(status "$vault" VmRSS)
answers=$(python3 benchmarks/body-flood.py "$work/proxy.sock" 40 $((31 << 20)))
bh=$(status "$proxy" VmHWM); vh=$(status "$vault" VmHWM)
sleep 5
b1=$(status "$proxy" VmRSS); v1=$(status "$vault" VmRSS)
cat <<TABLE
| model endpoint, 40 × 31 MiB request bodies at once ($(date -u +%F), $(nproc) cores, $build build) | before | peak (VmHWM) | 5 s after |
|---|---|---|---|
| burrow (egress proxy + model endpoint) | $b0 MiB | $bh MiB | $b1 MiB |
| burrow-vault | $v0 MiB | $vh MiB | $v1 MiB |
| both: growth at the peak | | $(awk -v a="$bh" -v b="$vh" -v c="$b0" -v d="$v0" 'BEGIN {printf "%.1f", a + b - c - d}') MiB (target < 100) | $(awk -v a="$b1" -v b="$v1" -v c="$b0" -v d="$v0" 'BEGIN {printf "%.1f", a + b - c - d}') MiB |

answers: $answers
TABLE
