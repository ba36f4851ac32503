#!/usr/bin/env python3
"""Writes a deterministic git repository for benchmarks/repo-scale.sh: FILES files of about BYTES
bytes each (hex text: compresses about 2:1, like source), 100 to a folder, one commit.
Usage: make-scale-repo.py DIR FILES BYTES"""
import os, random, subprocess, sys

path, files, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(path, exist_ok=True)
subprocess.run(["git", "-C", path, "init", "-q", "-b", "main"], check=True)
with open(os.path.join(path, "README.md"), "w") as f:
    f.write("# scale %d\n" % files)
for i in range(files - 1):
    folder = os.path.join(path, "d%03d" % (i // 100))
    os.makedirs(folder, exist_ok=True)
    data = random.Random(i).randbytes(size // 2).hex()
    with open(os.path.join(folder, "f%05d.txt" % i), "w") as f:
        f.write("\n".join(data[j:j + 64] for j in range(0, len(data), 64)) + "\n")
subprocess.run(["git", "-C", path, "add", "-A"], check=True)
subprocess.run(["git", "-C", path, "-c", "user.name=bench", "-c", "user.email=b@b", "-c", "commit.gpgsign=false",
                "commit", "-q", "-m", "scale %d" % files, "--date", "2026-01-01T00:00:00Z"], check=True,
               env=dict(os.environ, GIT_COMMITTER_DATE="2026-01-01T00:00:00Z"))
