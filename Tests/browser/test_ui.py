"""Browser tests: real headless Chromium (Debian's) driven by Playwright, against a real Burrow and the
real rootless Podman with the stand-in agent. Run by scripts/test.sh after the Swift tests.
Saves screenshots of the main states to docs/screenshots/."""
import json, os, re, subprocess, sys, tempfile, time, traceback, urllib.request
from playwright.sync_api import sync_playwright, expect

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOCKET = os.environ["BURROW_TEST_PODMAN_SOCKET"]
IMAGE = os.environ.get("BURROW_TEST_IMAGE", "localhost/burrow-test-agent:latest")
SHOTS = os.path.join(ROOT, "docs", "screenshots")


def podman(path):
    out = subprocess.run(["curl", "-s", "--unix-socket", SOCKET, "http://d/v4.0.0/libpod" + path], capture_output=True, text=True)
    return out.stdout


def free_port():
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_burrow(work):
    """Starts `burrow serve` on a fixed free port (the same one again when called again for `work`)."""
    path = os.path.join(work, "burrow.json")
    if os.path.exists(path):
        return run_burrow(work, path)
    repo = os.path.join(work, "repo")
    os.makedirs(repo)
    for command in (["git", "init", "-q", "-b", "main"], ["git", "add", "."], ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init"]):
        if command[1] == "add":
            open(os.path.join(repo, "README.md"), "w").write("# demo\n")
        subprocess.run(["git", "-C", repo] + command[1:] if command[0] == "git" else command, check=True)
    config = {"listen": f"127.0.0.1:{free_port()}", "stateDir": os.path.join(work, "state"), "podmanSocket": SOCKET, "image": IMAGE,
              "network": "none", "caches": [], "repos": [{"name": "demo", "path": repo}]}
    json.dump(config, open(path, "w"))
    return run_burrow(work, path)


def run_burrow(work, path):
    log = open(os.path.join(work, "serve.log"), "w+")
    binary = os.environ.get("BURROW_BINARY", os.path.join(ROOT, ".build", "debug", "burrow"))
    process = subprocess.Popen([binary, "serve", "--config", path], stdout=log, stderr=subprocess.STDOUT)
    for _ in range(200):
        log.seek(0)
        match = re.search(r"open (http://127\.0\.0\.1:\d+/\?token=\w+)", log.read())
        if match:
            return process, match.group(1)
        time.sleep(0.05)
    raise RuntimeError("burrow serve did not start")


def launch(page, task):
    expect(page.locator("#repo")).to_have_value("demo")  # the app has started and loaded its repos
    page.fill("#task", task)
    before = page.evaluate("location.hash")
    page.press("#task", "Control+Enter")
    try:
        page.wait_for_function("(before) => /^#\\/burrows\\/[0-9a-f]+$/.test(location.hash) && location.hash !== before", arg=before, timeout=20000)
    except Exception:
        raise AssertionError("launch did not open the burrow; launch error: " + page.locator("#launch-error").inner_text())
    return page.evaluate("location.hash").rsplit("/", 1)[1]


def test_launch_watch_reload_diff_teardown(page, base):
    page.goto(base)
    expect(page.locator("#app")).to_be_visible()
    expect(page.locator("#repo")).to_have_value("demo")
    page.screenshot(path=os.path.join(SHOTS, "launch.png"))
    burrow = launch(page, "Tidy up SLEEP=3 LINES=5 TEXT=Hello <img src=x onerror=window.__xss=1>")
    transcript = page.locator("#transcript")
    expect(transcript).to_contain_text("Hello <img src=x onerror=window.__xss=1>", timeout=20000)
    assert transcript.locator("img").count() == 0, "agent text must never become HTML"
    assert page.evaluate("window.__xss") is None, "agent text ran script"
    tool = transcript.locator("details[data-tool=Bash]").first
    expect(tool.locator("summary")).to_have_text("Bash: ls -la")
    assert tool.get_attribute("open") is None, "tool calls start collapsed"
    tool.locator("summary").click()
    expect(tool.locator("pre.input")).to_be_visible()
    expect(tool.locator("pre.result")).to_contain_text("total")
    page.screenshot(path=os.path.join(SHOTS, "running.png"))
    page.reload()  # mid-run: the same transcript comes back and continues, nothing twice
    expect(page.locator("#transcript")).to_contain_text("Finished: success", timeout=30000)
    for n in range(1, 6):
        expect(page.locator("#transcript .entry.text", has_text=re.compile(rf"^line {n}$"))).to_have_count(1)
    expect(page.locator("#transcript .entry.text", has_text="Hello <img")).to_have_count(1)
    expect(page.locator("#transcript")).to_contain_text("$0.0123")
    expect(page.locator("#b-state")).to_have_text("succeeded")
    expect(page.locator("#diff-section")).to_be_visible(timeout=10000)
    expect(page.locator("#diff .file h4", has_text="AGENT_CHANGE.md")).to_have_count(1)
    expect(page.locator("#diff .add").first).to_be_visible()
    expect(page.locator("#branch")).to_contain_text(f"burrow/{burrow}")
    page.screenshot(path=os.path.join(SHOTS, "finished.png"), full_page=True)
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#teardown")
    expect(page.locator("#b-facts")).to_contain_text("torn down", timeout=10000)
    assert json.loads(podman(f'/containers/json?all=true&filters={{"label":["io.burrow.id={burrow}"]}}'.replace('"', "%22").replace("{", "%7B").replace("}", "%7D").replace("[", "%5B").replace("]", "%5D"))) == []


def test_failed_burrow_shows_exit_code_and_stderr(page, base):
    page.goto(base)
    launch(page, "Break it EXIT=3")
    expect(page.locator("#b-state")).to_have_text("failed", timeout=30000)
    expect(page.locator("#b-facts")).to_contain_text("exit code 3")
    expect(page.locator("#transcript .entry.log.stderr", has_text="failing with exit code 3")).to_have_count(1)
    # The agent's result says is_error: shown as a failure, never "Finished".
    expect(page.locator("#transcript .entry.result.error")).to_contain_text("Failed: error_during_execution")
    expect(page.locator("#transcript")).not_to_contain_text("Finished: error_during_execution")


def test_follow_up_from_the_reply_box_streams_a_second_turn(page, base):
    page.goto(base)
    burrow = launch(page, "First pass TEXT=alpha")
    expect(page.locator("#b-state")).to_have_text("succeeded", timeout=30000)
    expect(page.locator("#diff .file h4", has_text="AGENT_CHANGE.md")).to_have_count(1, timeout=10000)
    expect(page.locator("#diff")).to_contain_text("First pass")
    page.fill("#reply", "Now the empty case TEXT=beta")
    page.press("#reply", "Control+Enter")
    transcript = page.locator("#transcript")
    expect(transcript.locator(".entry.turn", has_text="You: Now the empty case TEXT=beta")).to_have_count(1, timeout=10000)
    expect(transcript).to_contain_text("Done: beta", timeout=30000)
    expect(page.locator("#b-state")).to_have_text("succeeded", timeout=30000)
    expect(page.locator("#b-facts")).to_contain_text("turn 2")
    expect(page.locator("#b-facts")).to_contain_text("$0.0246 ($0.0123 + $0.0123)")
    # The diff updates: the file now holds the second turn's text.
    expect(page.locator("#diff")).to_contain_text("Now the empty case", timeout=10000)
    expect(transcript.locator(".entry.result")).to_have_count(2)
    expect(transcript.locator(".entry.text", has_text="Hello")).to_have_count(0)
    page.screenshot(path=os.path.join(SHOTS, "follow-up.png"), full_page=True)
    assert burrow


def test_page_reconnects_after_a_burrow_restart(page, base, work, server):
    page.goto(base)
    launch(page, "Survive a restart LINES=5 SLEEP=6")
    expect(page.locator("#transcript .entry.text", has_text=re.compile("^line 5$"))).to_have_count(1, timeout=20000)
    server["process"].kill()
    server["process"].wait()
    expect(page.locator("#connection")).to_contain_text("Disconnected", timeout=10000)
    server["process"], _ = start_burrow(work)
    expect(page.locator("#transcript")).to_contain_text("Finished: success", timeout=40000)
    expect(page.locator("#connection")).to_have_text("")
    for n in range(1, 6):
        expect(page.locator("#transcript .entry.text", has_text=re.compile(rf"^line {n}$"))).to_have_count(1)
    expect(page.locator("#transcript .entry.result")).to_have_count(1)


def test_hostile_output_stays_text_and_the_page_stays_responsive(page, base):
    page.goto(base)
    launch(page, "Hostile FLOOD=8 TEXT=\x1b[31mred\x1b[0m \x1b]0;title\x07 <b>bold</b>")
    transcript = page.locator("#transcript")
    expect(page.locator("#b-state")).to_have_text("succeeded", timeout=60000)
    expect(transcript).to_contain_text("[31mred", timeout=10000)
    expect(transcript).to_contain_text("<b>bold</b>")
    assert transcript.locator("b").count() == 0, "output never becomes markup"
    assert page.title() == "Burrow" or "title" not in page.title(), "an escape sequence must not retitle the page"
    # 8 MiB of output went through; the DOM keeps its cap and the main thread answers at once.
    assert transcript.locator(".entry").count() <= 3001
    delay = page.evaluate("() => new Promise((resolve) => { const t = performance.now(); setTimeout(() => resolve(performance.now() - t), 0); })")
    assert delay < 100, f"main thread blocked for {delay} ms"


def test_podman_away_is_shown(browser, base):
    """A Burrow whose Podman does not answer still serves the page, and says so plainly."""
    work = tempfile.mkdtemp(prefix="burrow-nopodman-")
    path = os.path.join(work, "burrow.json")
    json.dump({"listen": f"127.0.0.1:{free_port()}", "stateDir": os.path.join(work, "state"),
               "podmanSocket": os.path.join(work, "no-podman.sock"), "network": "none"}, open(path, "w"))
    process, url = run_burrow(work, path)
    try:
        page = browser.new_page()
        page.goto(url)
        banner = page.locator("#podman-status")
        expect(banner).to_be_visible(timeout=10000)
        expect(banner).to_contain_text("Podman does not answer")
        expect(banner).to_contain_text("catches up")
        page.close()
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_without_token_explains_how_to_get_in(browser, base):
    context = browser.new_context()
    page = context.new_page()
    page.goto(base.split("?")[0])
    expect(page.locator("#signin")).to_be_visible()
    expect(page.locator("#signin")).to_contain_text("?token=")
    context.close()


def main():
    os.makedirs(SHOTS, exist_ok=True)
    work = tempfile.mkdtemp(prefix="burrow-browser-")
    process, url = start_burrow(work)
    server = {"process": process}
    passed = failed = 0
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"])
            context = browser.new_context(viewport={"width": 1280, "height": 860})
            page = context.new_page()
            page.goto(url)  # sets the cookie, redirects to /
            base = url.split("/?")[0] + "/"
            tests = [(test_launch_watch_reload_diff_teardown, page), (test_failed_burrow_shows_exit_code_and_stderr, page),
                     (test_follow_up_from_the_reply_box_streams_a_second_turn, page),
                     (test_hostile_output_stays_text_and_the_page_stays_responsive, page),
                     (test_page_reconnects_after_a_burrow_restart, page), (test_podman_away_is_shown, browser),
                     (test_without_token_explains_how_to_get_in, browser)]
            for test, target in tests:
                try:
                    if test is test_page_reconnects_after_a_burrow_restart:
                        test(target, base, work, server)
                    else:
                        test(target, base)
                    passed += 1
                    print(f"PASS {test.__name__}", flush=True)
                except Exception:
                    failed += 1
                    print(f"FAIL {test.__name__}\n{traceback.format_exc()}", flush=True)
            browser.close()
    finally:
        server["process"].terminate()
        server["process"].wait(timeout=10)
    print(f"browser: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
