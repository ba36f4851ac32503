#!/usr/bin/env bash
# Runs every test: prepares the real rootless Podman (scripts/test-env.sh), then `swift test`, then the
# browser tests.
# Run as root on a fresh Debian machine (it installs what is missing), or as a user who has Podman.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(bash scripts/test-env.sh)"
export BURROW_REQUIRE_PODMAN=1
swift build --build-tests
swift test --skip-build "$@"
# The browser UI in real headless Chromium (Playwright drives Debian's /usr/bin/chromium).
python3 Tests/browser/test_ui.py
