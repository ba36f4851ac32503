#!/usr/bin/env bash
# Removes what earlier test runs left in a test Podman: burrows' containers and volumes, workspace
# templates and cache volumes. Each test's Burrow is an instance of its own, and a leftover volume
# keeps holding its per-burrow id range for an instance that no longer exists (no gc collects another
# instance's); after a few killed or interrupted runs every range is held and the range tests fail.
# Only for Podman users that hold nothing but Burrow's tests (scripts/test-env.sh's burrowtest,
# scripts/runner-env.sh's burrowrunner). Usage: clean-test-podman.sh USER SOCKET
set -uo pipefail
user=$1 socket=$2
runtime_dir=$(dirname "$(dirname "$socket")")
if [ "$(id -u)" = 0 ] && [ "$(id -un)" != "$user" ]; then
  home=$(getent passwd "$user" | cut -d: -f6)
  podman_as() { (cd / && runuser -u "$user" -- env HOME="$home" XDG_RUNTIME_DIR="$runtime_dir" podman --url "unix://$socket" "$@"); }
else
  podman_as() { (cd / && podman --url "unix://$socket" "$@"); }
fi
containers=$(podman_as ps -aq --filter label=io.burrow.instance 2>/dev/null; podman_as ps -aq --filter label=io.burrow.role 2>/dev/null)
[ -n "$containers" ] && podman_as rm -f -t 0 $containers >/dev/null 2>&1
volumes=$(podman_as volume ls -q --filter label=io.burrow.instance 2>/dev/null; podman_as volume ls -q --filter label=io.burrow.cache 2>/dev/null)
[ -n "$volumes" ] && podman_as volume rm -f $volumes >/dev/null 2>&1
# A volume whose folder is gone (seen once in CI, made mid-run by a test not yet found) makes Podman
# 4.3's `system df` fail as a whole; Burrow's disk watch removes its own, this removes any.
broken=$(podman_as volume ls --format '{{.Name}} {{.Mountpoint}}' 2>/dev/null | while read -r name folder; do
  [ -n "$folder" ] && [ ! -d "$folder" ] && echo "$name"; done)
[ -n "$broken" ] && podman_as volume rm $broken >/dev/null 2>&1
images=$(podman_as images -q --filter label=io.burrow.template 2>/dev/null | sort -u)
[ -n "$images" ] && podman_as rmi -f $images >/dev/null 2>&1
echo "clean-test-podman: $user: removed $(echo $containers | wc -w) containers, $(echo $volumes | wc -w) volumes, $(echo $broken | wc -w) broken volumes, $(echo $images | wc -w) templates" >&2
exit 0
