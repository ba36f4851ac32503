"""What the Python benchmark scripts share: a free port, a demo repo, a config on the test Podman."""
import json, os, socket, subprocess


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_repo(work):
    """A one-commit git repo under `work`, for burrows to launch on."""
    repo = os.path.join(work, "repo")
    os.makedirs(repo)
    subprocess.run(["git", "-C", repo, "init", "-q", "-b", "main"], check=True)
    open(os.path.join(repo, "README.md"), "w").write("# demo\n")
    subprocess.run(["git", "-C", repo, "add", "."], check=True)
    subprocess.run(["git", "-C", repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init"], check=True)
    return repo


def write_config(work, port, repo, **extra):
    """burrow.json for the test Podman (network none, no caches) with the demo repo; returns its path."""
    path = os.path.join(work, "burrow.json")
    config = {"listen": f"127.0.0.1:{port}", "stateDir": os.path.join(work, "state"),
              "podmanSocket": os.environ["BURROW_TEST_PODMAN_SOCKET"], "image": os.environ["BURROW_TEST_IMAGE"],
              "network": "none", "caches": [], "repos": [{"name": "demo", "path": repo}], **extra}
    json.dump(config, open(path, "w"))
    return path
