#!/usr/bin/env bash
# The whole test suite under Address Sanitizer or Thread Sanitizer (issue: reliability). Not in CI
# (a sanitized build takes several minutes). Usage: scripts/sanitize.sh address|thread [test filter]
set -euo pipefail
cd "$(dirname "$0")/.."
sanitizer=${1:?address or thread}
eval "$(bash scripts/test-env.sh)"
export BURROW_REQUIRE_PODMAN=1
# Burrows need the static forwarder; a sanitized build cannot link one, so lend them the normal build's.
swift build --product burrow-forwarder >/dev/null
export BURROW_TEST_FORWARDER=$PWD/.build/debug/burrow-forwarder BURROW_DYNAMIC_FORWARDER=1
if [ "$sanitizer" = thread ]; then
  # Baseline: TSan's verdict on a correct program that uses Synchronization.Mutex (it reports races).
  swiftc -sanitize=thread benchmarks/tsan-mutex-repro.swift -o "/tmp/burrow-tsan-repro" 2>/dev/null
  echo "Synchronization.Mutex repro: $(/tmp/burrow-tsan-repro 2>&1 | grep -c 'WARNING: ThreadSanitizer') TSan warnings"
fi
scratch=.build-$sanitizer
swift build --build-tests --sanitize="$sanitizer" --scratch-path "$scratch"
export ASAN_OPTIONS=detect_leaks=0 TSAN_OPTIONS=halt_on_error=0
swift test --skip-build --sanitize="$sanitizer" --scratch-path "$scratch" ${2:+--filter "$2"}
