#!/usr/bin/env bash
# A newcomer's first burrow, following the README's "First burrow" steps from a fresh clone: the two
# builds (timed apart), then the clock runs from `burrow init` to the first line of the agent's output
# in `burrow run --follow`. Not part of CI; run by hand as root on a Debian 12 machine:
#   benchmarks/newcomer.sh            (NEWCOMER_CLONE=DIR: a clone built before, to time the rest again)
# "Your Podman" is the test Podman scripts/test-env.sh prepares (a dedicated Podman user, as the
# README recommends). The one step the README does not have: the config's credentials.upstream points
# at benchmarks/messages-stand-in.py instead of api.anthropic.com (no key or network needed here).
set -euo pipefail
cd "$(dirname "$0")/.."
source=$(pwd)
work=$(mktemp -d /tmp/burrow-newcomer-XXXXXX)
chmod 711 "$work"
eval "$(bash scripts/test-env.sh 2>/dev/null)"
socket=$BURROW_TEST_PODMAN_SOCKET
now() { date +%s.%N; }
since() { python3 -c "print(f'{$(now) - $1:.1f}')"; }
cleanup() { [ -n "${serve:-}" ] && kill "$serve" 2>/dev/null; [ -n "${standin:-}" ] && kill "$standin" 2>/dev/null; true; }
trap cleanup EXIT

if [ -n "${NEWCOMER_CLONE:-}" ]; then
  cd "$NEWCOMER_CLONE"
else
  git clone -q "$source" "$work/burrow"
  cd "$work/burrow"
fi
start=$(now)
swift build -c release >"$work/build.log" 2>&1 || { tail -20 "$work/build.log"; exit 1; }
echo "build 1, swift build -c release: $(since "$start") s"
start=$(now)
.build/release/burrow image build --podman-socket "$socket" 2>&1 | tail -2
echo "build 2, burrow image build: $(since "$start") s"

# A newcomer's own project and home.
export HOME=$work/home
mkdir -p "$HOME" "$work/myproject"
git -C "$work/myproject" init -q -b main
echo "# my project" > "$work/myproject/README.md"
git -C "$work/myproject" add README.md && git -C "$work/myproject" -c user.name=me -c user.email=me@example.com commit -qm init
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
upstream_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 "$source/benchmarks/messages-stand-in.py" "$upstream_port" "Hello from the stand-in model." & standin=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$upstream_port/v1/models" >/dev/null && break; sleep 0.1; done

clock=$(now)
export ANTHROPIC_API_KEY=sk-ant-api03-newcomer-stand-in
.build/release/burrow init --repo "$work/myproject" --port "$port" --podman-socket "$socket" >"$work/init.log" 2>&1 \
  || { cat "$work/init.log"; exit 1; }
python3 - "$HOME/.config/burrow/burrow.json" "$upstream_port" <<'PY'
import json, sys
path, port = sys.argv[1], sys.argv[2]
config = json.load(open(path))
config["credentials"]["upstream"] = f"http://127.0.0.1:{port}"
json.dump(config, open(path, "w"), indent=2)
PY
.build/release/burrow serve >"$work/serve.log" 2>&1 & serve=$!
for _ in $(seq 600); do grep -qs "open http" "$work/serve.log" && break; sleep 0.1; done
grep -q "open http" "$work/serve.log" || { cat "$work/serve.log"; exit 1; }
serving=$(since "$clock")
# Each line of `burrow run --follow` with the seconds since `burrow init`; the first after the CLI's
# own "launched …" line is the agent's.
.build/release/burrow run myproject "Say hello, then stop." --follow 2>&1 | python3 -c '
import sys, time
clock = float(sys.argv[1])
for line in sys.stdin:
    print(f"{time.time() - clock:6.1f} {line.rstrip()}", flush=True)' "$clock" | tee "$work/run.log" | cut -c1-150
first=$(grep -v -E " launched | \[state\] " "$work/run.log" | head -1 | awk '{print $1}')
echo "serving after $serving s; first agent output $first s after burrow init (the two builds excluded)"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), Podman $(podman --version | cut -d' ' -f3), $(date -u '+%F %H:%M') UTC"
