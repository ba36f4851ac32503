#!/usr/bin/env bash
# Model endpoint with a TLS upstream (issue 13). Not part of CI.
# A self-signed HTTPS stand-in of the API (nginx, TLS 1.3, keep-alive, a fixed JSON message with
# usage) on 127.0.0.1:7985. URLSession on Linux ignores SSL_CERT_FILE (swift-corelibs-foundation
# points libcurl at /etc/ssl/certs/ca-certificates.crt itself), so the script runs in a private mount
# namespace (root; `unshare --mount`) where that bundle plus the stand-in's certificate is bind-mounted
# over the system one; nothing outside the script sees it. Per request, 1,000 sequential POSTs:
#   direct:  URLSession → nginx over one reused TLS connection (the endpoint's own upstream leg)
#   through: HTTP client → burrow-forwarder → egress proxy → model endpoint (route and header checks,
#            real key added, usage metered, budget gate) → the same URLSession leg, reused
# The added latency is through − direct, p50 and p99.
# Usage: benchmarks/model-endpoint-tls.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${BURROW_BENCH_PRIVATE_MOUNTS:-}" ]; then
  exec env BURROW_BENCH_PRIVATE_MOUNTS=1 unshare --mount --propagation private bash "$0" "$@"
fi
source benchmarks/lib.sh
swift build -c release >/dev/null
bench_workdir model-tls
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
cat /etc/ssl/certs/ca-certificates.crt "$work/cert.pem" > "$work/bundle.crt"
mount --bind "$work/bundle.crt" /etc/ssl/certs/ca-certificates.crt
export SSL_CERT_FILE="$work/bundle.crt"
answer='{"id":"msg_bench","type":"message","model":"claude-opus-5-5","content":[{"type":"text","text":"ok"}],"usage":{"input_tokens":10,"output_tokens":1}}'
start_nginx 7984 "listen 127.0.0.1:7985 ssl; ssl_certificate $work/cert.pem; ssl_certificate_key $work/key.pem; ssl_protocols TLSv1.3; location = /v1/messages { default_type application/json; return 200 '$answer'; }"
.build/release/burrow-bench egress-proxy --socket "$work/proxy.sock" --upstream https://127.0.0.1:7985 --key sk-ant-bench-real-key &
sleep 0.5
.build/release/burrow-forwarder --listen 127.0.0.1:3996 --to "$work/proxy.sock" -- sleep 3600 &
sleep 0.5
curl -sf --cacert "$work/cert.pem" -X POST https://127.0.0.1:7985/v1/messages >/dev/null || { echo "the TLS stand-in does not answer"; exit 1; }
# Three interleaved rounds; each way reports its median p50 and p99.
d50=""; d99=""; t50=""; t99=""
for _ in 1 2 3; do
  direct=$(.build/release/burrow-bench tls-latency --url https://127.0.0.1:7985/v1/messages --requests 1000)
  through=$(.build/release/burrow-bench request-latency --address 127.0.0.1:3996 --target /v1/messages --requests 1000)
  d50="$d50 $(echo "$direct" | sed 's/.*p50_ms=\([0-9.]*\).*/\1/')"; d99="$d99 $(echo "$direct" | sed 's/.*p99_ms=\([0-9.]*\).*/\1/')"
  t50="$t50 $(echo "$through" | sed 's/.*p50_ms=\([0-9.]*\).*/\1/')"; t99="$t99 $(echo "$through" | sed 's/.*p99_ms=\([0-9.]*\).*/\1/')"
done
# Connection reuse, checked: the endpoint's connections to the stand-in still open or in TIME-WAIT
# (3,060 requests went through it; one connection each would leave thousands).
reuse=$(ss -tan "( dport = :7985 )" | tail -n +2 | wc -l)
D50=$(echo "$d50" | median); D99=$(echo "$d99" | median); T50=$(echo "$t50" | median); T99=$(echo "$t99" | median)
cat <<TABLE
| model endpoint, TLS upstream ($(date -u +%F), $(nproc) cores; 1,000 sequential POSTs, medians of 3 rounds) | p50 | p99 | target |
|---|---|---|---|
| direct: URLSession → nginx (TLS 1.3, self-signed, one reused connection) | $D50 ms | $D99 ms | yardstick |
| through forwarder → proxy → model endpoint → the same TLS leg | $T50 ms | $T99 ms | — |
| TCP connections to the TLS stand-in after all rounds (open + TIME-WAIT) | $reuse | | few: reused |
| added by Burrow per request | $(awk -v a="$T50" -v b="$D50" 'BEGIN {printf "%.3f", a-b}') ms | $(awk -v a="$T99" -v b="$D99" 'BEGIN {printf "%.3f", a-b}') ms | < 1 ms p50 |
TABLE
