#!/usr/bin/env bash
# Runs every test: prepares the real rootless Podman (scripts/test-env.sh), then `swift test`, then the
# browser tests.
# Run as root on a fresh Debian machine (it installs what is missing), or as a user who has Podman.
# Each stage has a generous time limit, so a hang fails with its stage's name instead of running on.
set -euo pipefail
cd "$(dirname "$0")/.."
stage() {
  local limit=$1 name=$2; shift 2
  local rc=0
  timeout --kill-after=10 "$limit" "$@" || rc=$?
  if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then echo "test.sh: $name did not finish within ${limit}s" >&2; fi
  return "$rc"
}
env_lines=$(stage 1200 "preparing Podman (scripts/test-env.sh)" bash scripts/test-env.sh)
eval "$env_lines"
export BURROW_REQUIRE_PODMAN=1
stage 1200 "swift build" swift build --build-tests
stage 1800 "swift test" swift test --skip-build "$@"
# The browser UI in real headless Chromium (Playwright drives Debian's /usr/bin/chromium).
stage 900 "the browser tests" python3 Tests/browser/test_ui.py
