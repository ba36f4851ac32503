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
# A second "machine" for the remote-runner tests (as root): sshd on 127.0.0.1 and the user burrowrunner
# with its own rootless Podman; prints BURROW_TEST_RUNNER_* (nothing when not root: those tests skip).
runner_lines=$(stage 600 "preparing the test runner (scripts/runner-env.sh)" bash scripts/runner-env.sh)
eval "$runner_lines"
# What earlier runs left in the test Podmans (containers, volumes holding id ranges, templates) goes
# first: every test's Burrow is an instance of its own, and nothing else collects a dead one's leftovers.
# Only as root, for the dedicated test users: a user's own Podman may hold their real burrows.
if [ "$(id -u)" = 0 ]; then
  bash scripts/clean-test-podman.sh "$BURROW_TEST_PODMAN_USER" "$BURROW_TEST_PODMAN_SOCKET"
  if [ -n "${BURROW_TEST_RUNNER_USER:-}" ]; then bash scripts/clean-test-podman.sh "$BURROW_TEST_RUNNER_USER" "$BURROW_TEST_RUNNER_SOCKET"; fi
fi
export BURROW_REQUIRE_PODMAN=1
stage 1200 "swift build" swift build --build-tests
# The agent image with the real Claude Code (images/agent-debian) for RealAgentTests, imported through
# the test Podman's API. Rebuilt only when its recipe changes (its hash is the image's label); the
# Debian packages come from the host's apt sources, the claude-agent-sdk wheel is cached in
# /var/cache/burrow.
export BURROW_TEST_AGENT_IMAGE=localhost/burrow-agent:latest BURROW_REQUIRE_AGENT_IMAGE=1
stage 900 "the agent image (burrow image build)" .build/debug/burrow image build --podman-socket "$BURROW_TEST_PODMAN_SOCKET" \
  --tag "$BURROW_TEST_AGENT_IMAGE"
# A failing stage does not stop the later ones (the browser tests run whatever swift test said); the
# script exits non-zero if any failed.
failed=""
stage 3000 "swift test" swift test --skip-build "$@" || failed="$failed swift-test"
# Podman 5 (Debian 13's 5.4.2) as well, as root: its own rootless service from a trixie rootfs
# (scripts/podman5-env.sh, cached in /var/cache/burrow), the lifecycle, sandbox, real-agent, conversation, doctor, shell, preview, interception, check, ask, nested-container, started-helper, layer-harvest, any-image and crossing-attack tests
# again against it (the agent image's rootfs is kept from the stage above, only imported).
if [ "$(id -u)" = 0 ] && [ $# = 0 ]; then
  podman5_lines=$(stage 900 "preparing Podman 5 (scripts/podman5-env.sh)" bash scripts/podman5-env.sh)
  (
    # (`set -e` does not apply inside a `( … ) || …`: each step goes on only if the one before passed.)
    eval "$podman5_lines" &&
    stage 900 "the agent image in Podman 5" .build/debug/burrow image build --podman-socket "$BURROW_TEST_PODMAN_SOCKET" \
      --tag "$BURROW_TEST_AGENT_IMAGE" &&
    stage 1200 "swift test on Podman 5" swift test --skip-build --filter 'BurrowLifecycleTests|SandboxTests|RealAgentTests|ConversationTests|DoctorTruthTests|UserRangeTests|ShellCommandTests|ShellHangupTests|PreviewAttackTests|BoxTrustTests|CheckTests|AskAttackTests|NestedContainerTests|StartedHomeHelperTests|LayerHarvestTests|AnyImageTests|CrossingAttackTests'
  ) || failed="$failed podman5"
fi
# The browser UI in real headless Chromium (Playwright drives Debian's /usr/bin/chromium).
stage 900 "the browser tests" python3 Tests/browser/test_ui.py || failed="$failed browser"
if [ -n "$failed" ]; then echo "test.sh: failed stages:$failed" >&2; exit 1; fi
