"""Shared by the browser tests and benchmarks/ui.py: a real `burrow serve` on a free port against the
test Podman, and the page actions the tests repeat."""
import json, os, re, subprocess, time
from playwright.sync_api import expect

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOCKET = os.environ["BURROW_TEST_PODMAN_SOCKET"]
IMAGE = os.environ.get("BURROW_TEST_IMAGE", "localhost/burrow-test-agent:latest")
SHOTS = os.path.join(ROOT, "docs", "screenshots")
# The shared test machine can be busy (2 cores, several engineers' Podman tests): wait patiently.
expect.set_options(timeout=15000)


def podman(path):
    out = subprocess.run(["curl", "-s", "--unix-socket", SOCKET, "http://d/v4.0.0/libpod" + path], capture_output=True, text=True)
    return out.stdout


def free_port():
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_burrow(work, agent_command=None, files=None, config_extra=None):
    """Starts `burrow serve` on a fixed free port (the same one again when called again for `work`).
    `agent_command` replaces the stand-in agent (e.g. ["sh", "-c"]: the task is then a script);
    `files` ({name: text}) are committed into the demo repository first; `config_extra` adds to the config."""
    path = os.path.join(work, "burrow.json")
    if os.path.exists(path):
        return run_burrow(work, path)
    repo = os.path.join(work, "repo")
    os.makedirs(repo)
    # Podman (another user) reads the seccomp profile and mounts the sockets under the state dir.
    os.chmod(work, 0o711)
    git = ["git", "-C", repo, "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(git + ["init", "-q", "-b", "main"], check=True)
    open(os.path.join(repo, "README.md"), "w").write("# demo\n")
    for name, text in (files or {}).items():
        open(os.path.join(repo, name), "w").write(text)
    subprocess.run(git + ["add", "."], check=True)
    subprocess.run(git + ["commit", "-qm", "init"], check=True)
    config = {"listen": f"127.0.0.1:{free_port()}", "stateDir": os.path.join(work, "state"), "podmanSocket": SOCKET, "image": IMAGE,
              "network": "none", "caches": [], "repos": [{"name": "demo", "path": repo}]}
    if agent_command:
        config["agentCommand"] = agent_command
        config["taskInput"] = "argument"  # the task is the script
    config.update(config_extra or {})
    json.dump(config, open(path, "w"))
    return run_burrow(work, path)


def run_burrow(work, path):
    log = open(os.path.join(work, "serve.log"), "w+")
    binary = os.environ.get("BURROW_BINARY", os.path.join(ROOT, ".build", "debug", "burrow"))
    process = subprocess.Popen([binary, "serve", "--config", path], stdout=log, stderr=subprocess.STDOUT)
    for _ in range(1200):  # up to a minute: start-up lists containers, slow on a busy shared Podman
        log.seek(0)
        match = re.search(r"open (http://127\.0\.0\.1:\d+/\?token=\w+)", log.read())
        if match:
            return process, match.group(1)
        time.sleep(0.05)
    raise RuntimeError("burrow serve did not start")


def launch(page, task):
    expect(page.locator("#repo")).to_have_value("demo", timeout=30000)  # the app has started and loaded its repos
    page.fill("#task", task)
    before = page.evaluate("location.hash")
    page.press("#task", "Control+Enter")
    try:
        page.wait_for_function("(before) => /^#\\/burrows\\/[0-9a-f]+$/.test(location.hash) && location.hash !== before", arg=before, timeout=20000)
    except Exception:
        raise AssertionError("launch did not open the burrow; launch error: " + page.locator("#launch-error").inner_text())
    return page.evaluate("location.hash").rsplit("/", 1)[1]


def shot(page, name, full_page=False):
    page.screenshot(path=os.path.join(SHOTS, name), full_page=full_page)


def no_horizontal_overflow(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size["width"]
    assert width <= viewport, f"the page is {width} px wide in a {viewport} px viewport"


def wait_all_final(url, timeout=90):
    """Waits until no burrow of the Burrow at `url` is still running (or bringing its work home)."""
    import urllib.request
    base, token = url.split("/?token=")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        request = urllib.request.Request(base + "/api/burrows", headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            if all(r["state"] in ("succeeded", "failed", "stopped") for r in json.loads(response.read())):
                return
        time.sleep(0.5)
    raise AssertionError("burrows still running")


def tear_down_everything(url):
    """Stops and tears down every burrow of the Burrow at `url` (its token URL): the tests leave no
    container or volume in the shared Podman, whether they passed or not."""
    import urllib.request
    base, token = url.split("/?token=")
    def call(method, path):
        request = urllib.request.Request(base + path, method=method, headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
            return json.loads(body) if body else None
    final = {"succeeded", "failed", "stopped"}
    records = call("GET", "/api/burrows")
    for record in records:
        if record["state"] not in final:
            call("POST", f"/api/burrows/{record['id']}/stop")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and any(r["state"] not in final for r in call("GET", "/api/burrows")):
        time.sleep(0.5)
    for record in call("GET", "/api/burrows"):
        if not record.get("tornDown") and record["state"] in final:
            call("DELETE", f"/api/burrows/{record['id']}")


def stop_server(process, url):
    try:
        tear_down_everything(url)
    except Exception as error:  # the server may be the one a test killed
        print(f"teardown of {url.split('?')[0]}: {error}", flush=True)
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def run_with_own_burrow(browser, tests, run, prefix, **start):
    """Runs `tests` (with `run`) against a Burrow of their own, started with `start_burrow(work, **start)`,
    in a fresh browser context; the Burrow is stopped and its burrows torn down afterwards."""
    import tempfile
    work = tempfile.mkdtemp(prefix=prefix)
    start = {key: value(work) if callable(value) else value for key, value in start.items()}
    process, url = start_burrow(work, **start)
    try:
        context = browser.new_context(viewport={"width": 1280, "height": 860})
        page = context.new_page()
        page.goto(url)
        result = run(tests, {"page": page, "browser": browser, "url": url, "base": url.split("/?")[0] + "/", "work": work})
        context.close()
        return result
    finally:
        stop_server(process, url)
