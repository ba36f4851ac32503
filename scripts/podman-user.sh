#!/usr/bin/env bash
# Makes a dedicated, unprivileged Podman user for Burrow and gives one account access to its API
# socket — with systemd (a user unit that survives reboots) or without it (containers, WSL, minimal
# systems: the service is started here, and again by running this script after a reboot).
#   sudo bash scripts/podman-user.sh [PODMAN_USER] [YOUR_ACCOUNT]
# PODMAN_USER defaults to burrow-podman, YOUR_ACCOUNT to the account that ran sudo. Idempotent.
# It prints the "podmanSocket" line for burrow.json. What it does, step by step, is in the README
# ("A dedicated Podman user"); every step is a plain command you can run by hand instead.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "run as root (sudo bash $0 …): it creates a user and a group" >&2; exit 2; }
podman_user=${1:-burrow-podman}
account=${2:-${SUDO_USER:-}}
[ -n "$account" ] && [ "$account" != root ] || { echo "name your own account: sudo bash $0 $podman_user YOUR_ACCOUNT" >&2; exit 2; }
id "$account" >/dev/null || { echo "no account '$account'" >&2; exit 2; }
command -v podman >/dev/null || { echo "podman is not installed: apt-get install podman uidmap slirp4netns" >&2; exit 1; }
group=burrow-podman-socket
say() { echo "podman-user: $*" >&2; }

# 1. The user, with subordinate ids (useradd adds them where /etc/login.defs says so; else we do).
id "$podman_user" >/dev/null 2>&1 || { useradd -m -s /usr/sbin/nologin "$podman_user"; say "made user $podman_user"; }
for file in /etc/subuid /etc/subgid; do
  grep -q "^$podman_user:" "$file" 2>/dev/null || {
    start=$(( $(awk -F: '{ end = $2 + $3; if (end > max) max = end } END { print max + 0 }' "$file" 2>/dev/null) ))
    [ "$start" -ge 100000 ] || start=100000
    echo "$podman_user:$start:65536" >> "$file"; say "gave $podman_user ids $start… in $file"; }
done
uid=$(id -u "$podman_user")
home=$(getent passwd "$podman_user" | cut -d: -f6)
runtime=/run/user/$uid

# 2. The group that may use the socket: your account in it (log in again for it to count).
getent group "$group" >/dev/null || groupadd "$group"
usermod -aG "$group" "$account"

# 3. Its runtime dir: what logind makes at login, made here when there is no logind.
mkdir -p "$runtime/podman"
chown "$podman_user:$group" "$runtime" "$runtime/podman"
chmod 0710 "$runtime"            # the group may pass through, not list
chmod 0750 "$runtime/podman"
as_user() { runuser -u "$podman_user" -- env HOME="$home" XDG_RUNTIME_DIR="$runtime" "$@"; }

# 4. Overlay storage for a user with no store yet (vfs copies every image per container: minutes, gigabytes).
if [ ! -e "$home/.config/containers/storage.conf" ] && [ ! -d "$home/.local/share/containers/storage" ]; then
  as_user mkdir -p "$home/.config/containers"
  printf '[storage]\ndriver = "overlay"\n' | as_user tee "$home/.config/containers/storage.conf" >/dev/null
  say "overlay storage for $podman_user"
fi

# 5. The API service, as that user.
socket=$runtime/podman/podman.sock
if command -v loginctl >/dev/null && [ -d /run/systemd/system ]; then
  loginctl enable-linger "$podman_user"
  as_user systemctl --user enable --now podman.socket
  say "podman.socket enabled for $podman_user (systemd; starts again after a reboot)"
else
  if ! as_user curl -sf --unix-socket "$socket" http://d/_ping >/dev/null 2>&1; then
    # Detached from this script's output, so a caller reading it sees its end.
    (cd / && exec runuser -u "$podman_user" -- env HOME="$home" XDG_RUNTIME_DIR="$runtime" \
        setsid podman system service --time=0 "unix://$socket") </dev/null >"$home/podman-service.log" 2>&1 &
    for _ in $(seq 50); do [ -S "$socket" ] && break; sleep 0.1; done
  fi
  say "podman system service started for $podman_user (no systemd: run this script again after a reboot)"
fi
for _ in $(seq 50); do [ -S "$socket" ] && break; sleep 0.1; done
[ -S "$socket" ] || { echo "the socket $socket did not appear; see $home/podman-service.log" >&2; exit 1; }
chgrp "$group" "$socket" && chmod 0660 "$socket"
echo "\"podmanSocket\": \"$socket\""
say "$account may use it after logging in again (or: newgrp $group); check with: burrow doctor"
