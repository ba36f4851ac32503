#!/usr/bin/env bash
# Builds the agent image's root filesystem without a container registry: Debian bookworm from Debian's
# own packages (mmdebstrap), a non-root user `agent` (uid 1000) owning /workspace, and Claude Code's
# native binary taken from the official `claude-agent-sdk` wheel on PyPI.
#   build-rootfs.sh OUT.tar      writes the rootfs tarball (import it: `burrow image build` does)
#   build-rootfs.sh --hash       prints the recipe's hash (this folder + the pinned version)
# The wheel and the binary are cached in $BURROW_CACHE_DIR (default /var/cache/burrow as root,
# ~/.cache/burrow otherwise). As a non-root user mmdebstrap needs subuid/subgid ranges (unshare mode).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# Claude Code 2.1.330 is bundled in claude-agent-sdk 0.2.187.
sdk_version=0.2.187
packages=git,ca-certificates,ripgrep,python3,python3-venv,build-essential,sudo,curl,less,procps,nodejs,podman,podman-docker,crun,fuse-overlayfs
suite=bookworm

if [ "${1:-}" = "--hash" ]; then
  { cat "$here"/*; echo "$sdk_version $packages $suite"; } | sha256sum | cut -c1-16
  exit 0
fi
out=${1:?usage: build-rootfs.sh OUT.tar | --hash}
command -v mmdebstrap >/dev/null || { echo "mmdebstrap is missing: apt-get install mmdebstrap (scripts/install-packages.sh)" >&2; exit 1; }

default_cache=/var/cache/burrow
[ "$(id -u)" = 0 ] || default_cache="${XDG_CACHE_HOME:-$HOME/.cache}/burrow"
cache=${BURROW_CACHE_DIR:-$default_cache}
wheels="$cache/wheels"
claude="$cache/claude-$sdk_version"
mkdir -p "$wheels"
if [ ! -x "$claude" ]; then
  wheel=$(ls "$wheels"/claude_agent_sdk-"$sdk_version"-*manylinux*x86_64.whl 2>/dev/null | head -n1 || true)
  if [ -z "$wheel" ]; then
    echo "build-rootfs: downloading claude-agent-sdk $sdk_version from PyPI" >&2
    python3 -m pip download -q --no-deps --only-binary=:all: --platform manylinux_2_17_x86_64 \
      -d "$wheels" "claude-agent-sdk==$sdk_version" >&2
    wheel=$(ls "$wheels"/claude_agent_sdk-"$sdk_version"-*manylinux*x86_64.whl | head -n1)
  fi
  python3 - "$wheel" "$claude.partial" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel, wheel.open("claude_agent_sdk/_bundled/claude") as src, open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
  chmod 755 "$claude.partial" && mv "$claude.partial" "$claude"
fi

# The last rootfs built from this recipe is kept, so a second Podman (scripts/podman5-env.sh) or a
# --force import does not build it again.
hash=$(bash "$0" --hash)
kept="$cache/agent-rootfs-$hash.tar"
if [ -f "$kept" ]; then
  ln -f "$kept" "$out" 2>/dev/null || cp "$kept" "$out"
  exit 0
fi

# Directories a volume is mounted on take the image directory's owner: /workspace, Claude's config
# folder and Burrow's default cache folders belong to the agent. sudo works only with sandbox.allowRoot (Burrow otherwise sets
# no_new_privileges and drops every capability).
mmdebstrap --variant=apt --include="$packages" \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --customize-hook='chroot "$1" useradd -m -u 1000 -U -s /bin/bash agent' \
  --customize-hook='mkdir -p "$1/workspace" "$1/burrow/claude" && chroot "$1" chown agent:agent /workspace /burrow/claude' \
  --customize-hook='cd "$1/home/agent" && mkdir -p .npm .cache/pip .cache/uv .cache/huggingface .cargo/registry go/pkg/mod && chroot "$1" chown -R agent:agent /home/agent' \
  --customize-hook='echo "agent ALL=(ALL) NOPASSWD: ALL" > "$1/etc/sudoers.d/agent" && chmod 0440 "$1/etc/sudoers.d/agent"' \
  --customize-hook="upload $claude /usr/local/bin/claude" \
  --customize-hook='chmod 0755 "$1/usr/local/bin/claude"' \
  --customize-hook='rm -f "$1/etc/hostname" "$1/etc/resolv.conf"' \
  "$suite" "$out"
rm -f "$cache"/agent-rootfs-*.tar
ln -f "$out" "$kept" 2>/dev/null || cp "$out" "$kept"
