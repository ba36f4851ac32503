#!/usr/bin/env bash
# Prepares a real rootless Podman for Burrow's tests, idempotently:
#   packages, an unprivileged user with subuids, its containers.conf, its Podman API service on the
#   user-level socket, the test agent image (busybox rootfs + stand-in agent), a test CDI spec.
# As root it uses the user `burrowtest`; as a non-root user with Podman it uses that user's own socket.
# Prints `export NAME=value` lines for the tests (eval them, or source the file it writes).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
log() { echo "test-env: $*" >&2; }

if [ "$(id -u)" = 0 ]; then
  bash scripts/install-packages.sh >&2
  user=burrowtest
  id "$user" >/dev/null 2>&1 || useradd -m -s /bin/bash "$user"
  grep -q "^$user:" /etc/subuid || echo "$user:200000:65536" >> /etc/subuid
  grep -q "^$user:" /etc/subgid || echo "$user:200000:65536" >> /etc/subgid
  uid=$(id -u "$user")
  home=$(getent passwd "$user" | cut -d: -f6)
  as_user() { runuser -u "$user" -- env HOME="$home" XDG_RUNTIME_DIR="/run/user/$uid" "$@"; }
  mkdir -p "/run/user/$uid" && chown "$user:" "/run/user/$uid" && chmod 700 "/run/user/$uid"
  # A CDI spec for nvidia.com/gpu whose device node exists without a GPU (char 1:3, like /dev/null).
  [ -e /dev/nvidia0 ] || mknod -m 666 /dev/nvidia0 c 1 3
  mkdir -p /etc/cdi
  cat > /etc/cdi/burrow-test-gpu.yaml <<'CDI'
cdiVersion: "0.5.0"
kind: nvidia.com/gpu
devices:
  - name: all
    containerEdits:
      deviceNodes:
        - path: /dev/nvidia0
      env:
        - BURROW_TEST_GPU=injected-by-cdi
CDI
  [ -e /dev/net/tun ] && chmod a+rw /dev/net/tun || true
else
  command -v podman >/dev/null || { log "podman is not installed; run this script once as root"; exit 1; }
  # The browser tests' driver, for this user alone (Debian's Python refuses a system-wide pip install).
  if ! python3 -c 'import playwright' 2>/dev/null; then
    log "installing Playwright for $(id -un) (pip --user)"
    python3 -m pip install --user -q playwright >&2 2>/dev/null || python3 -m pip install --user -q --break-system-packages playwright >&2
  fi
  user=$(id -un)
  uid=$(id -u)
  home=$HOME
  as_user() { env XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/run/user/$uid}" "$@"; }
fi
runtime_dir="/run/user/$uid"
socket="$runtime_dir/podman/podman.sock"

# crun 1.8 fails on this kernel's hybrid cgroups, and the default ulimits are refused rootless.
conf_dir="$home/.config/containers"
as_user mkdir -p "$conf_dir"
if ! grep -q 'burrow-test-env' "$conf_dir/containers.conf" 2>/dev/null; then
  as_user tee "$conf_dir/containers.conf" >/dev/null <<'CONF'
# written by burrow scripts/test-env.sh (burrow-test-env)
[containers]
default_ulimits = []
[engine]
runtime = "runc"
CONF
fi

# Overlay storage (the kernel's own, rootless): with vfs, Podman copies a whole image for every
# container and every copy-on-write workspace volume. A store that an earlier run made with vfs is
# reset once (the dedicated test user holds nothing else). Only for the test user this script owns.
if [ "$(id -u)" = 0 ]; then
  if ! grep -q 'burrow-test-env' "$conf_dir/storage.conf" 2>/dev/null; then
    as_user tee "$conf_dir/storage.conf" >/dev/null <<'CONF'
# written by burrow scripts/test-env.sh (burrow-test-env)
[storage]
driver = "overlay"
CONF
  fi
  # stdout only, and a reset only for a store positively on vfs: a warning on stderr (e.g. `"/" is
  # not a shared mount`) or a failing `podman info` must never wipe a working store.
  driver=$(cd / && as_user podman info --format '{{.Store.GraphDriverName}}' 2>/dev/null | tail -n 1 || true)
  if [ "$driver" = vfs ]; then
    log "the test Podman's store is not overlay ($driver); resetting it"
    pkill -u "$user" -f 'podman system service' || true
    sleep 1
    (cd / && as_user podman --storage-driver vfs system reset --force) >/dev/null 2>&1 || true
    rm -rf "$home/.local/share/containers/storage"
  fi
fi

# The Podman API service on the user-level socket.
if ! as_user curl -sf --unix-socket "$socket" http://d/v4.0.0/libpod/_ping >/dev/null 2>&1; then
  log "starting the Podman API service for $user on $socket"
  as_user mkdir -p "$runtime_dir/podman"
  # In the user's own runtime dir, made anew: a log root's run left (root runs this for the test user
  # too) must not stop the user's own run from starting the service.
  service_log="$runtime_dir/podman/service.log"
  rm -f "$service_log"
  # From /: the service outlives this shell, and a working directory that is deleted later (a CI
  # clone) makes every container start fail with "exit status 1".
  # Every descriptor of the background job is redirected (not only the service's): this script's
  # stdout is its caller's command substitution, which would otherwise wait for the service to end.
  (cd / && as_user setsid podman system service --time=0 "unix://$socket") \
    > "$service_log" 2>&1 < /dev/null &
  for _ in $(seq 100); do
    as_user curl -sf --unix-socket "$socket" http://d/v4.0.0/libpod/_ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  as_user curl -sf --unix-socket "$socket" http://d/v4.0.0/libpod/_ping >/dev/null \
    || { log "the Podman service did not answer; see $service_log"; exit 1; }
fi

# The test agent image: a busybox rootfs, the stand-in agent, git, a non-root user. Rebuilt when
# its inputs change (their hash is the image's label).
hash=$(cat images/test-agent/* images/test-agent-src/* scripts/build-test-image.sh scripts/test-env.sh | sha256sum | cut -c1-16)
# Tagged with the hash of its inputs: checkouts with different stand-ins never overwrite each other's.
image=localhost/burrow-test-agent:$hash
current=$(as_user podman image inspect --format '{{index .Labels "io.burrow.test-image-hash"}}' "$image" 2>/dev/null || true)
if [ "$current" != "$hash" ]; then
  log "building $image ($hash)"
  build=$(mktemp -d /tmp/burrow-image-XXXXXX)
  bash scripts/build-test-image.sh "$build/rootfs.tar" >&2
  chmod 755 "$build"; chmod 644 "$build/rootfs.tar"
  as_user podman import --change "LABEL io.burrow.test-image-hash=$hash" --change "USER agent" \
    --change "WORKDIR /workspace" --change "ENV PATH=/usr/local/bin:/usr/bin:/bin" --change "ENV HOME=/home/agent" \
    "$build/rootfs.tar" "$image" >/dev/null
  rm -rf "$build"
fi
as_user podman tag "$image" localhost/burrow-test-agent:latest

env_file="$root/.test-env"
cat > "$env_file" <<ENV
export BURROW_TEST_PODMAN_SOCKET=$socket
export BURROW_TEST_IMAGE=$image
export BURROW_TEST_PODMAN_USER=$user
ENV
cat "$env_file"
