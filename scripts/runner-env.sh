#!/usr/bin/env bash
# A second "machine" on this one for the remote-runner tests, idempotently, as root:
#   openssh-server's sshd listening on 127.0.0.1 only (its own port, config and host key in a state
#   folder; not the system's ssh service), the unprivileged user `burrowrunner` with its own rootless
#   Podman service (runc, overlay storage, its own subuid range), a key pair made for the tests, its
#   authorized_keys, a known_hosts line for the test host key, and the test agent image in its Podman.
# Run after scripts/test-env.sh (it reads BURROW_TEST_IMAGE from the environment or .test-env).
# Prints `export NAME=value` lines (eval them); prints nothing and exits 0 when not root.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
log() { echo "runner-env: $*" >&2; }
if [ "$(id -u)" != 0 ]; then
  log "not root: no test runner (the remote-runner tests skip)"
  exit 0
fi

state=/var/lib/burrow-runner-test
port=${BURROW_TEST_RUNNER_PORT:-52222}
user=burrowrunner

# sshd from Debian's package, never started as the system service (policy-rc.d forbids it during
# the install if nothing else does): this script runs its own, on loopback only.
if [ ! -x /usr/sbin/sshd ]; then
  log "installing openssh-server"
  guard=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; guard=1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends openssh-server >/dev/null 2>&1 \
    || { apt-get update -qq && apt-get install -y -qq --no-install-recommends openssh-server >/dev/null; }
  [ "$guard" = 1 ] && rm -f /usr/sbin/policy-rc.d
fi

# The runner's user: its own subordinate ids (clear of burrowtest's), a password that is not locked
# (sshd without PAM refuses locked accounts) and that no one can type.
id "$user" >/dev/null 2>&1 || useradd -m -s /bin/bash "$user"
usermod -p '*' "$user"
grep -q "^$user:" /etc/subuid || echo "$user:400000:65536" >> /etc/subuid
grep -q "^$user:" /etc/subgid || echo "$user:400000:65536" >> /etc/subgid
uid=$(id -u "$user")
home=$(getent passwd "$user" | cut -d: -f6)
runtime_dir="/run/user/$uid"
socket="$runtime_dir/podman/podman.sock"
as_user() { runuser -u "$user" -- env HOME="$home" XDG_RUNTIME_DIR="$runtime_dir" "$@"; }
mkdir -p "$runtime_dir" && chown "$user:" "$runtime_dir" && chmod 700 "$runtime_dir"

conf_dir="$home/.config/containers"
as_user mkdir -p "$conf_dir"
if ! grep -q 'burrow-runner-env' "$conf_dir/containers.conf" 2>/dev/null; then
  printf '# written by burrow scripts/runner-env.sh (burrow-runner-env)\n[containers]\ndefault_ulimits = []\n[engine]\nruntime = "runc"\n' \
    | as_user tee "$conf_dir/containers.conf" >/dev/null
fi
if ! grep -q 'burrow-runner-env' "$conf_dir/storage.conf" 2>/dev/null; then
  printf '# written by burrow scripts/runner-env.sh (burrow-runner-env)\n[storage]\ndriver = "overlay"\n' \
    | as_user tee "$conf_dir/storage.conf" >/dev/null
fi

ping_podman() { as_user curl -sf --unix-socket "$socket" http://d/v4.0.0/libpod/_ping >/dev/null 2>&1; }
if ! ping_podman; then
  log "starting the Podman API service for $user on $socket"
  as_user mkdir -p "$runtime_dir/podman"
  (cd / && as_user setsid podman system service --time=0 "unix://$socket") \
    > "/tmp/burrow-podman-service-$uid.log" 2>&1 < /dev/null &
  for _ in $(seq 100); do ping_podman && break; sleep 0.1; done
  ping_podman || { log "the runner's Podman did not answer; see /tmp/burrow-podman-service-$uid.log"; exit 1; }
fi

# The test agent image, copied from the test Podman (burrowtest) when the runner lacks it.
[ -n "${BURROW_TEST_IMAGE:-}" ] || { [ -f "$root/.test-env" ] && . "$root/.test-env"; } || true
if [ -n "${BURROW_TEST_IMAGE:-}" ] && ! (cd / && as_user podman image exists "$BURROW_TEST_IMAGE"); then
  log "copying $BURROW_TEST_IMAGE into the runner's Podman"
  tester=${BURROW_TEST_PODMAN_USER:-burrowtest}
  tester_uid=$(id -u "$tester")
  archive=$(mktemp /tmp/burrow-runner-image-XXXXXX.tar)
  chmod 666 "$archive"
  (cd / && runuser -u "$tester" -- env XDG_RUNTIME_DIR="/run/user/$tester_uid" podman save -o "$archive.part" "$BURROW_TEST_IMAGE" >/dev/null 2>&1 \
    || runuser -u "$tester" -- env XDG_RUNTIME_DIR="/run/user/$tester_uid" podman save --format docker-archive "$BURROW_TEST_IMAGE" > "$archive")
  [ -s "$archive.part" ] && mv -f "$archive.part" "$archive"; chmod 644 "$archive"
  (cd / && as_user podman load -i "$archive" >/dev/null)
  rm -f "$archive" "$archive.part"
fi

# The SSH side: a host key, the tests' key pair, authorized_keys and known_hosts, and sshd itself.
mkdir -p "$state" /run/sshd
chmod 755 "$state"
[ -f "$state/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C burrow-test-runner-host -f "$state/host_ed25519"
[ -f "$state/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C burrow-test-runner-client -f "$state/id_ed25519"
chmod 600 "$state/host_ed25519" "$state/id_ed25519"
as_user mkdir -p "$home/.ssh"
chmod 700 "$home/.ssh"
cp "$state/id_ed25519.pub" "$home/.ssh/authorized_keys"
chown "$user:" "$home/.ssh/authorized_keys"; chmod 600 "$home/.ssh/authorized_keys"
echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$state/host_ed25519.pub")" > "$state/known_hosts"
cat > "$state/sshd_config" <<CONF
# written by burrow scripts/runner-env.sh: the test runner's sshd, loopback only
ListenAddress 127.0.0.1
Port $port
HostKey $state/host_ed25519
PidFile $state/sshd.pid
AllowUsers $user
AuthenticationMethods publickey
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
UsePAM no
X11Forwarding no
# sshd permits Unix-socket forwards only where it permits TCP ones (channels.c: all_permitted), so
# forwarding stays on (the default); GatewayPorts no keeps anything bound remotely on loopback.
AllowTcpForwarding yes
GatewayPorts no
AllowStreamLocalForwarding yes
StreamLocalBindUnlink yes
ClientAliveInterval 5
ClientAliveCountMax 3
MaxSessions 64
MaxStartups 64
Subsystem sftp internal-sftp
CONF
running=0
if [ -f "$state/sshd.pid" ] && kill -0 "$(cat "$state/sshd.pid")" 2>/dev/null \
  && grep -q sshd "/proc/$(cat "$state/sshd.pid")/cmdline" 2>/dev/null; then running=1; fi
if [ "$running" = 1 ] && ! cmp -s "$state/sshd_config" "$state/sshd_config.running"; then
  kill "$(cat "$state/sshd.pid")"; sleep 0.5; running=0
fi
if [ "$running" = 0 ]; then
  log "starting sshd on 127.0.0.1:$port"
  /usr/sbin/sshd -t -f "$state/sshd_config"
  (cd / && setsid /usr/sbin/sshd -f "$state/sshd_config" -E /tmp/burrow-runner-sshd.log) </dev/null >/dev/null 2>&1
  cp "$state/sshd_config" "$state/sshd_config.running"
fi
ssh_check() {
  ssh -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$state/known_hosts" -o IdentitiesOnly=yes \
    -i "$state/id_ed25519" -p "$port" "$user@127.0.0.1" "test -S $socket" </dev/null >/dev/null 2>&1
}
for _ in $(seq 50); do ssh_check && break; sleep 0.1; done
ssh_check || { log "ssh to $user@127.0.0.1:$port failed; see /tmp/burrow-runner-sshd.log"; exit 1; }

env_file="$root/.runner-env"
cat > "$env_file" <<ENV
export BURROW_TEST_RUNNER_HOST=127.0.0.1
export BURROW_TEST_RUNNER_PORT=$port
export BURROW_TEST_RUNNER_USER=$user
export BURROW_TEST_RUNNER_IDENTITY=$state/id_ed25519
export BURROW_TEST_RUNNER_KNOWN_HOSTS=$state/known_hosts
export BURROW_TEST_RUNNER_SOCKET=$socket
ENV
cat "$env_file"
