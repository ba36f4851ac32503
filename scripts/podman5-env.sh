#!/usr/bin/env bash
# Podman 5 (Debian 13's 5.4.2) for the tests, beside the host's Podman 4.3, idempotently. Run as root.
# A trixie root filesystem (mmdebstrap, kept in /var/cache/burrow/podman5-root) holds Podman 5 and a
# rootless user; its API service runs there, entered with `unshare --mount` + `pivot_root` (a chroot
# cannot create user namespaces, and bwrap's no_new_privs stops the setuid newuidmap). The host's
# /tmp and this checkout are bound at the same paths inside, so the tests' state dirs and the
# forwarder resolve alike on both sides (and its user's home is linked from the host's /home); /etc/cdi is shared (the test GPU spec). Prints `export` lines like scripts/test-env.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
root=${BURROW_PODMAN5_ROOT:-/var/cache/burrow/podman5-root}
user=burrowtest5
uid=1105
image=localhost/burrow-test-agent:latest
inside=/run/user/$uid/podman/podman.sock
socket=$root$inside
log() { echo "podman5-env: $*" >&2; }
[ "$(id -u)" = 0 ] || { log "run as root"; exit 1; }
ping() { curl -sf --unix-socket "$socket" http://d/v5.0.0/libpod/_ping >/dev/null 2>&1; }

if [ ! -x "$root/usr/bin/podman" ]; then
  log "building the trixie root filesystem with Podman 5 in $root"
  rm -rf "$root.partial"
  mkdir -p "$(dirname "$root")"
  mmdebstrap --quiet --variant=apt --include=podman,runc,crun,uidmap,slirp4netns,fuse-overlayfs,passt,catatonit,ca-certificates,curl \
    --customize-hook="chroot \"\$1\" useradd -m -u $uid -s /bin/bash $user" \
    trixie "$root.partial"
  mv "$root.partial" "$root"
fi
conf="$root/home/$user/.config/containers"
if [ ! -f "$conf/containers.conf" ]; then
  mkdir -p "$conf"
  printf '[containers]\ndefault_ulimits = []\n[engine]\nruntime = "runc"\n' > "$conf/containers.conf"
  chown -R "$uid:$uid" "$root/home/$user/.config"
fi

# Its containers run as the subordinate uids the rootfs gives its user; the host's /etc/subuid says
# so too (by uid: the host has no such user), so Burrow's peer check on a burrow's socket knows them.
range=$(sed -n "s/^$user://p" "$root/etc/subuid" | head -1)
[ -n "$range" ] && ! grep -q "^$uid:" /etc/subuid && echo "$uid:$range" >> /etc/subuid

# The service sees host paths only through its binds: one started for another checkout (a CI clone, a
# worktree) cannot reach this one's burrow-forwarder, so it is restarted here.
bound="$root/.burrow-bound-checkout"
if ping && [ "$(cat "$bound" 2>/dev/null)" != "$repo" ]; then
  log "Podman 5's service was started for $(cat "$bound" 2>/dev/null || echo 'another checkout'); restarting it for $repo"
  pkill -f "podman system service --time=0 unix://$inside" || true
  [ -f /tmp/burrow-podman5-service.pid ] && kill "$(cat /tmp/burrow-podman5-service.pid)" 2>/dev/null || true
  for _ in $(seq 50); do ping || break; sleep 0.2; done
fi

if ! ping; then
  log "starting Podman 5's API service on $socket"
  echo "$repo" > "$bound"
  # Its runtime folder is on the rootfs's disk, not a tmpfs: whatever a dead service left there (the
  # socket, a pause.pid naming a process that is gone or reused) goes, as a reboot would clear it.
  rm -rf "$root/run/user/$uid"
  mkdir -p "$root/tmp" "$root$repo" "$root/oldroot" "$root/run/user/$uid/podman" "$root/etc/cdi" /etc/cdi
  chown -R "$uid:$uid" "$root/run/user/$uid" && chmod 711 "$root/run/user/$uid"
  chmod 755 "$root" "$root/run" "$root/run/user"
  (cd / && setsid unshare --mount bash -c "
    set -e
    mount --make-rprivate /
    mount --rbind '$root' '$root'
    mount -t proc proc '$root/proc'
    mount --rbind /sys '$root/sys'
    mount --rbind /dev '$root/dev'
    mount --rbind /tmp '$root/tmp'
    mount --rbind '$repo' '$root$repo'
    mount --rbind /etc/cdi '$root/etc/cdi'
    cd '$root'
    pivot_root . oldroot
    umount -l /oldroot
    exec su $user -s /bin/sh -c 'cd / && XDG_RUNTIME_DIR=/run/user/$uid PODMAN_IGNORE_CGROUPSV1_WARNING=1 exec podman system service --time=0 unix://$inside'
  ") > /tmp/burrow-podman5-service.log 2>&1 < /dev/null &
  echo $! > /tmp/burrow-podman5-service.pid
  for _ in $(seq 150); do ping && break; sleep 0.2; done
  ping || { log "Podman 5 did not answer; see /tmp/burrow-podman5-service.log"; exit 1; }
  chmod 711 "$root/run/user/$uid/podman" 2>/dev/null || true
fi
# Its user's home at the same path on the host too, so that a path in its storage (a workspace's own
# layer, which Burrow finds in the storage's files and shows to the harvest) resolves alike on both sides.
[ -e "/home/$user" ] || [ -L "/home/$user" ] || ln -s "$root/home/$user" "/home/$user"
# Passable down to its volumes, as the host's test user's are (Debian 13 makes a home 0700): the host
# probes of a burrow's volume as that burrow's own uid then work as on Podman 4.3.
for dir in "" /.local /.local/share /.local/share/containers /.local/share/containers/storage /.local/share/containers/storage/volumes; do
  [ -d "$root/home/$user$dir" ] && chmod 711 "$root/home/$user$dir"
done

# The same test image as scripts/test-env.sh, imported through the API (its hash as the label).
hash=$(cat images/test-agent/* images/test-agent-src/* scripts/build-test-image.sh scripts/test-env.sh | sha256sum | cut -c1-16)
current=$(curl -sf --unix-socket "$socket" "http://d/v5.0.0/libpod/images/$(printf %s "$image" | sed 's|/|%2F|g')/json" \
  | python3 -c 'import json,sys; print((json.load(sys.stdin).get("Config") or {}).get("Labels",{}).get("io.burrow.test-image-hash",""))' 2>/dev/null || true)
if [ "$current" != "$hash" ]; then
  log "importing $image ($hash)"
  build=$(mktemp -d /tmp/burrow-image5-XXXXXX)
  bash scripts/build-test-image.sh "$build/rootfs.tar" >&2
  changes=$(python3 -c 'import sys, urllib.parse as u; print("&".join("changes=" + u.quote(c, safe="") for c in sys.argv[1:]))' \
    "LABEL io.burrow.test-image-hash=$hash" "USER agent" "WORKDIR /workspace" "ENV PATH=/usr/local/bin:/usr/bin:/bin" "ENV HOME=/home/agent")
  curl -sf --unix-socket "$socket" -X POST -H 'Content-Type: application/x-tar' --data-binary "@$build/rootfs.tar" \
    "http://d/v5.0.0/libpod/images/import?reference=$(printf %s "$image" | sed 's|/|%2F|g;s|:|%3A|g')&$changes" >/dev/null
  rm -rf "$build"
fi
echo "export BURROW_TEST_PODMAN_SOCKET=$socket"
echo "export BURROW_TEST_IMAGE=$image"
echo "export BURROW_TEST_PODMAN_USER=$user"
