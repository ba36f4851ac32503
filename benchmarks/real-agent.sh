#!/usr/bin/env bash
# The real Claude Code in a burrow (issue 14). Not part of CI. Run as root.
# A 3-tool task (Write, Edit, Bash) launched through Burrow's API, the CLI's calls going through the
# model endpoint to the scripted stand-in of the Messages API (Tests/BurrowKitTests/Support):
# POST → the first `assistant` event on the SSE stream, and POST → the `end` event, each also with
# the stand-in's own time subtracted. Medians of N runs.
# Runs as the skipped-in-CI test RealAgentBenchmark (the stand-in lives in the test support), in the
# debug test build: Burrow's share of these figures is small next to the CLI's own start.
# Usage: benchmarks/real-agent.sh [runs] [podman: 4 (the test Podman, default) | 5 (scripts/podman5-env.sh)]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
source benchmarks/lib.sh
use_test_podman
if [ "${2:-4}" = 5 ]; then eval "$(bash scripts/podman5-env.sh 2>/dev/null)"; fi
swift build --build-tests >/dev/null
.build/debug/burrow image build --podman-socket "$BURROW_TEST_PODMAN_SOCKET" --tag localhost/burrow-agent:latest
export BURROW_TEST_AGENT_IMAGE=localhost/burrow-agent:latest BURROW_BENCH_REAL_AGENT=$runs
claude_version=$(as_user podman run --rm --entrypoint /usr/local/bin/claude "$BURROW_TEST_AGENT_IMAGE" --version 2>/dev/null || echo unknown)
api_version() { curl -s --unix-socket "$BURROW_TEST_PODMAN_SOCKET" http://d/v4.0.0/libpod/version | python3 -c 'import json,sys; print(json.load(sys.stdin)["Version"])'; }
storage() { curl -s --unix-socket "$BURROW_TEST_PODMAN_SOCKET" http://d/v4.0.0/libpod/info | python3 -c 'import json,sys; print(json.load(sys.stdin)["store"]["graphDriverName"])'; }
out=$(swift test --skip-build --filter RealAgentBenchmark 2>&1 || true)
echo "$out" | grep -q "passed" || { echo "$out" | tail -30; exit 1; }
echo "Claude Code $claude_version, Podman $(api_version) ($(storage) storage), $(date -u '+%F %H:%M') UTC, load $(cut -d' ' -f1 /proc/loadavg)"
echo "$out" | sed -n 's/^real-agent: //p'
