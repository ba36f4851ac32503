#!/usr/bin/env bash
# Installs the Debian packages Burrow's tests and benchmarks need. Idempotent: a second run only checks.
set -euo pipefail
packages=(podman runc uidmap slirp4netns fuse-overlayfs catatonit busybox-static git curl libssl-dev
          chromium wrk hyperfine nginx-light iproute2 procps python3-pip gcc libc6-dev tar
          libcurl4 mmdebstrap)  # mmdebstrap: the agent image (images/agent-debian); libcurl4: the toolchain's FoundationNetworking (the model endpoint's URLSession)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "missing Debian packages: ${missing[*]} — run this script as root (or: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! python3 -c 'import playwright' 2>/dev/null; then
  python3 -m pip install -q playwright 2>/dev/null || python3 -m pip install -q --break-system-packages playwright
fi
