#!/usr/bin/env bash
# Builds the rootfs tarball of the test agent image: busybox-static, the host's git with the libraries
# it links, users root and agent (uid 1000), and the stand-in agent as /usr/local/bin/claude.
# Ownership is set inside the tar (no root needed). Usage: build-test-image.sh OUT.tar
set -euo pipefail
cd "$(dirname "$0")/.."
out=$1
files=$(mktemp)
stamp=$(mktemp -d)
trap 'rm -rf "$files" "$stamp"' EXIT
# A static timestamp printer for latency benchmarks (images/test-agent-src/stamp.c).
gcc -O2 -static -o "$stamp/burrow-stamp" images/test-agent-src/stamp.c
{
  echo "/bin/busybox"
  echo "/usr/bin/git"
  ldd /usr/bin/git | awk '/=>/ {print $3} /ld-linux/ {print $1}'
} | sort -u > "$files"
python3 - "$out" "$files" "$stamp/burrow-stamp" <<'PY'
import io, os, subprocess, sys, tarfile
out, listing, stamp = sys.argv[1], sys.argv[2], sys.argv[3]
tar = tarfile.open(out, "w")
def add_dir(path, uid=0, mode=0o755):
    info = tarfile.TarInfo(path.lstrip("/")); info.type = tarfile.DIRTYPE; info.mode = mode
    info.uid = info.gid = uid; tar.addfile(info)
def add_bytes(path, data, mode=0o644, uid=0):
    info = tarfile.TarInfo(path.lstrip("/")); info.size = len(data); info.mode = mode
    info.uid = info.gid = uid; tar.addfile(info, io.BytesIO(data))
def add_link(path, target):
    info = tarfile.TarInfo(path.lstrip("/")); info.type = tarfile.SYMTYPE; info.linkname = target; tar.addfile(info)
dirs = ["/bin", "/sbin", "/usr", "/usr/bin", "/usr/local", "/usr/local/bin", "/lib", "/lib64", "/etc",
        "/proc", "/sys", "/dev", "/run", "/var", "/var/tmp", "/usr/lib", "/usr/lib/x86_64-linux-gnu",
        "/lib/x86_64-linux-gnu", "/usr/share", "/usr/share/git-core", "/usr/share/git-core/templates"]
for d in dirs: add_dir(d)
add_dir("/tmp", mode=0o1777)
add_dir("/home")
add_dir("/home/agent", uid=1000)
add_dir("/workspace", uid=1000)
for path in open(listing).read().split():
    real = os.path.realpath(path)
    add_bytes(path, open(real, "rb").read(), mode=0o755)
applets = subprocess.run(["/bin/busybox", "--list"], capture_output=True, text=True).stdout.split()
for applet in applets:
    if applet != "busybox": add_link("/bin/" + applet, "busybox")
add_bytes("/etc/passwd", b"root:x:0:0:root:/root:/bin/sh\nagent:x:1000:1000:agent:/home/agent:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n")
add_bytes("/etc/group", b"root:x:0:\nagent:x:1000:\nnogroup:x:65534:\n")
add_bytes("/etc/hosts", b"127.0.0.1 localhost\n")
add_bytes("/home/agent/.gitconfig", b"[user]\n\tname = Burrow Test Agent\n\temail = agent@burrow.invalid\n[init]\n\tdefaultBranch = main\n[safe]\n\tdirectory = *\n", uid=1000)
for name in sorted(os.listdir("images/test-agent")):
    data = open(os.path.join("images/test-agent", name), "rb").read()
    add_bytes("/usr/local/bin/" + name, data, mode=0o755)
add_bytes("/usr/local/bin/burrow-stamp", open(stamp, "rb").read(), mode=0o755)
tar.close()
PY
