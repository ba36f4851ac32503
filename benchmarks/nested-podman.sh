#!/usr/bin/env bash
# Containers inside a burrow (issue 25, item 1): `podman run --rm IMG true` timed inside a burrow-like
# container (the agent image, as the agent, no capabilities, no new privileges, network none, the
# nested configuration Burrow writes — a copy of Sources/BurrowKit/Sandbox/NestedContainers.swift —
# on a volume; overlay, and vfs as on kernels before 5.13) against the same command on the host's (test) rootless Podman. IMG: a busybox image
# loaded from a docker-archive tarball on both sides. Median of N runs after one warm-up; ms.
# Usage: [BIG_MB=200] benchmarks/nested-podman.sh [N] [AGENT_IMAGE]   — as root (scripts/test-env.sh's Podman).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
agent_image=${2:-localhost/burrow-agent:latest}
source benchmarks/lib.sh
use_test_podman
bench_workdir nested-podman
img=localhost/burrow-nested-bench:latest

# The image: the host's static busybox, as `podman save` would write it.
mkdir -p "$work/rootfs/bin" "$work/rootfs/tmp"
cp /usr/bin/busybox "$work/rootfs/bin/busybox"
for applet in sh true echo; do ln -s busybox "$work/rootfs/bin/$applet"; done
# BIG_MB=N: an image of N MB more (one file), where copying layers (vfs) shows.
[ -z "${BIG_MB:-}" ] || head -c "${BIG_MB}M" /dev/urandom > "$work/rootfs/big.bin"
tar -C "$work/rootfs" -cf "$work/layer.tar" .
digest=$(sha256sum "$work/layer.tar" | cut -c1-64)
printf '{"architecture":"amd64","os":"linux","config":{"Cmd":["/bin/sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' "$digest" > "$work/config.json"
printf '[{"Config":"config.json","RepoTags":["%s"],"Layers":["layer.tar"]}]' "$img" > "$work/manifest.json"
tar -C "$work" -cf "$work/tiny.tar" manifest.json config.json layer.tar
chmod 644 "$work/tiny.tar"

# Times `podman run --rm IMG true` N+1 times (the first is the warm-up), one ms figure per line.
cat > "$work/loop.sh" <<'LOOP'
podman load -q -i "$1" >/dev/null 2>&1
for i in $(seq 0 "$2"); do
  start=$(date +%s%N); podman run --rm $4 "$3" true; end=$(date +%s%N)
  [ "$i" = 0 ] || echo $(( (end - start) / 1000000 ))
done
LOOP
chmod 644 "$work/loop.sh"

host=$(as_user bash "$work/loop.sh" "$work/tiny.tar" "$runs" "$img" | tr '\n' ' ')
# The same without a network of its own (slirp4netns' start is part of the default's time).
hostnone=$(as_user bash "$work/loop.sh" "$work/tiny.tar" "$runs" "$img" "--network none" | tr '\n' ' ')
as_user podman rmi -f "$img" >/dev/null 2>&1 || true

volume=burrow-nested-bench-$$
as_user podman volume create -o o=uid=1000,gid=1000 "$volume" >/dev/null
trap 'as_user podman volume rm -f "$volume" >/dev/null 2>&1; kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
inside() {  # $1: the nested storage driver
as_user podman run --rm -e DRIVER=$1 --user agent --cap-drop ALL --security-opt no-new-privileges --network none \
  -v "$work:/bench:ro" -v "$volume:/burrow/containers" \
  -e USER=burrow-nested -e CONTAINERS_CONF=/burrow/containers/containers.conf -e CONTAINERS_STORAGE_CONF=/burrow/containers/storage.conf \
  "$agent_image" bash -c '
    printf "[containers]\nnetns = \"host\"\npidns = \"host\"\nutsns = \"host\"\ncgroups = \"enabled\"\nlog_driver = \"k8s-file\"\n[engine]\ncgroup_manager = \"cgroupfs\"\nevents_logger = \"file\"\nruntime = \"crun\"\n" > $CONTAINERS_CONF
    printf "[storage]\ndriver = \"$DRIVER\"\nrootless_storage_path = \"/burrow/containers/storage-$DRIVER\"\n[storage.options]\nignore_chown_errors = \"true\"\n[storage.options.overlay]\nmount_program = \"\"\n" > $CONTAINERS_STORAGE_CONF
    bash /bench/loop.sh /bench/tiny.tar '"$runs"' '"$img"'' 2>/dev/null | tr '\n' ' '
}
overlay=$(inside overlay)
vfs=$(inside vfs)

host_runtime=$(as_user podman info --format '{{.Host.OCIRuntime.Name}} {{.Store.GraphDriverName}}')
version=$(as_user podman version --format '{{.Server.Version}}' 2>/dev/null || as_user podman version --format '{{.Version}}')
cat <<TABLE
| \`podman run --rm IMG true\`, median of $runs (ms) | runtime, storage | all runs (ms) |
|---|---|---|
| on the host (rootless Podman $version) | $host_runtime | $host|
| on the host, \`--network none\` | $host_runtime | $hostnone|
| inside a burrow (the image's Podman 4.3) | crun, overlay (native, in the nested namespace) | $overlay|
| inside a burrow, vfs (kernels before 5.13) | crun, vfs | $vfs|
| medians | host $(echo "$host" | median), host --network none $(echo "$hostnone" | median) | inside: overlay $(echo "$overlay" | median), vfs $(echo "$vfs" | median) |
TABLE
