"""Browser tests: real headless Chromium (Debian's) driven by Playwright, against a real Burrow and the
real rootless Podman with the stand-in agent (and, in test_ui_transcript.py, a Burrow whose agent is
`sh -c` replaying recorded Claude Code stream-json). Run by scripts/test.sh after the Swift tests:
    python3 Tests/browser/test_ui.py
Saves screenshots of the main states to docs/screenshots/."""
import json, os, re, sys, tempfile, traceback
from playwright.sync_api import sync_playwright, expect

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ui_support import SHOTS, podman, free_port, start_burrow, run_burrow, launch, shot, stop_server  # noqa: E402,F401 (benchmarks/ui.py imports these)
import test_ui_views, test_ui_transcript, test_ui_actions, test_ui_live, test_ui_runners, test_ui_asks, test_ui_groups, test_ui_previews  # noqa: E402


def test_launch_watch_reload_diff_teardown(env):
    page = env["page"]
    page.goto(env["base"])
    expect(page.locator("#app")).to_be_visible()
    expect(page.locator("#repo")).to_have_value("demo")
    shot(page, "launch.png")
    burrow = launch(page, "Tidy up SLEEP=3 LINES=5 TEXT=Hello <img src=x onerror=window.__xss=1>")
    transcript = page.locator("#transcript")
    expect(transcript).to_contain_text("Hello <img src=x onerror=window.__xss=1>", timeout=20000)
    assert transcript.locator("img").count() == 0, "agent text must never become HTML"
    assert page.evaluate("window.__xss") is None, "agent text ran script"
    tool = transcript.locator("details[data-tool=Bash]").first
    expect(tool.locator(".tool-name")).to_have_text("Bash")
    expect(tool.locator(".tool-arg")).to_have_text("ls -la")
    expect(tool.locator(".tool-status")).to_have_text("exit 0")
    assert tool.get_attribute("open") is None, "tool calls start collapsed"
    tool.locator("summary").first.click()
    expect(tool.locator("pre.input")).to_be_visible()
    expect(tool.locator("pre.result")).to_contain_text("total")
    shot(page, "running.png")
    page.reload()  # mid-run: the same transcript comes back and continues, nothing twice
    expect(page.locator("#transcript")).to_contain_text("Finished: success", timeout=30000)
    for n in range(1, 6):
        expect(page.locator("#transcript .entry.text", has_text=re.compile(rf"^line {n}$"))).to_have_count(1)
    expect(page.locator("#transcript .entry.text", has_text="Hello <img")).to_have_count(1)
    expect(page.locator("#transcript")).to_contain_text("$0.0123")
    expect(page.locator("#b-state")).to_have_text("succeeded", timeout=60000)  # after the work is brought home
    expect(page.locator("#diff-section")).to_be_visible(timeout=10000)
    expect(page.locator("#diff .file .file-name", has_text="AGENT_CHANGE.md")).to_have_count(1)
    expect(page.locator("#diff .add").first).to_be_visible()
    expect(page.locator("#branch")).to_contain_text(f"burrow/{burrow}")
    expect(page.locator("#branch button.copy")).to_have_count(2)
    expect(page.locator("#b-shell")).to_contain_text(f"burrow shell {burrow}")  # finished and kept: a shell can step in
    expect(page.locator("#b-shell button.copy")).to_have_count(1)
    # Where the turn's end went, step by step, as the start above it.
    expect(page.locator("#b-wayhome")).to_contain_text(re.compile(r"^End: exit seen [\d.]+ m?s → .*harvest .* → fetch .* = [\d.]+ m?s$"))
    shot(page, "finished.png", full_page=True)
    page.once("dialog", lambda dialog: dialog.accept())
    def slow_delete(route):  # a teardown that takes a while, as on a busy Podman: the page shows it
        if route.request.method == "DELETE":
            page.wait_for_timeout(2500)
        route.continue_()
    page.route(f"**/api/burrows/{burrow}*", slow_delete)
    page.click("#teardown")
    expect(page.locator("#teardown")).to_contain_text("Tearing down…")
    expect(page.locator("#teardown")).to_be_disabled()
    expect(page.locator("#b-facts")).to_contain_text("torn down", timeout=10000)
    page.unroute(f"**/api/burrows/{burrow}*")
    expect(page.locator("#b-shell")).to_be_hidden()
    assert json.loads(podman(f'/containers/json?all=true&filters={{"label":["io.burrow.id={burrow}"]}}'.replace('"', "%22").replace("{", "%7B").replace("}", "%7D").replace("[", "%5B").replace("]", "%5D"))) == []


def test_failed_burrow_shows_exit_code_and_stderr(env):
    page = env["page"]
    page.goto(env["base"])
    burrow = launch(page, "Break it EXIT=3")
    expect(page.locator("#b-state")).to_have_text("failed", timeout=30000)
    expect(page.locator("#b-facts")).to_contain_text("exit code 3")
    expect(page.locator("#transcript .entry.log.stderr", has_text="failing with exit code 3")).to_have_count(1)
    # Honest: the result box says it failed too, never "Finished: success" under a FAILED badge.
    result = page.locator("#transcript .entry.result")
    expect(result).to_have_class(re.compile("failed"))
    expect(result).to_contain_text("Failed: during execution")
    expect(page.locator("#transcript")).not_to_contain_text("Finished:")
    expect(page.locator(f"#burrows a[data-id='{burrow}'] .badge")).to_have_text("failed")


def test_follow_up_from_the_reply_box_streams_a_second_turn(env):
    page = env["page"]
    page.goto(env["base"])
    burrow = launch(page, "First pass TEXT=alpha")
    expect(page.locator("#b-state")).to_have_text("succeeded", timeout=30000)
    expect(page.locator("#diff .file .file-name", has_text="AGENT_CHANGE.md")).to_have_count(1, timeout=10000)
    expect(page.locator("#diff")).to_contain_text("First pass")
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("r")  # the shortcut focuses the reply box
    expect(page.locator("#reply")).to_be_focused()
    page.keyboard.type("Now the empty case TEXT=beta")
    page.press("#reply", "Control+Enter")
    transcript = page.locator("#transcript")
    expect(transcript.locator(".entry.turn", has_text="You: Now the empty case TEXT=beta")).to_have_count(1, timeout=10000)
    expect(transcript).to_contain_text("Done: beta", timeout=30000)
    expect(page.locator("#b-state")).to_have_text("succeeded", timeout=30000)
    expect(page.locator("#b-facts")).to_contain_text("turn 2")
    expect(page.locator("#b-facts")).not_to_contain_text("turns")
    # Claude Code reports a resumed session's cost cumulatively: never added up, and only as its claim (no metering here).
    expect(page.locator("#b-facts")).to_contain_text("the agent reports $0.0123")
    expect(page.locator("#b-facts")).not_to_contain_text("$0.0246")
    # The diff updates: the file now holds the second turn's text.
    expect(page.locator("#diff")).to_contain_text("Now the empty case", timeout=10000)
    expect(transcript.locator(".entry.result")).to_have_count(2)
    expect(transcript.locator(".entry.text", has_text="Hello")).to_have_count(0)
    shot(page, "follow-up.png", full_page=True)
    assert burrow


def test_page_reconnects_after_a_burrow_restart(env):
    page, server = env["page"], env["server"]
    page.goto(env["base"])
    launch(page, "Survive a restart LINES=5 SLEEP=6")
    expect(page.locator("#transcript .entry.text", has_text=re.compile("^line 5$"))).to_have_count(1, timeout=60000)
    expect(page.locator("#transcript .entry.text", has_text=re.compile("^line 5$"))).to_have_attribute("data-time", re.compile(r"^\d\d:\d\d:\d\d$"))
    server["process"].kill()
    server["process"].wait()
    expect(page.locator("#connection")).to_contain_text("Disconnected", timeout=10000)
    page.fill("#reply", "are you there?")
    page.press("#reply", "Control+Enter")
    expect(page.locator("#reply-status")).to_contain_text("Burrow does not answer")
    server["process"], server["url"] = start_burrow(env["work"])
    expect(page.locator("#transcript")).to_contain_text("Finished: success", timeout=40000)
    expect(page.locator("#connection")).to_have_text("")
    expect(page.locator("#reply-status")).to_have_text("")     # no stale "Failed to fetch" once back
    for n in range(1, 6):
        expect(page.locator("#transcript .entry.text", has_text=re.compile(rf"^line {n}$"))).to_have_count(1)
    expect(page.locator("#transcript .entry.result")).to_have_count(1)


def test_hostile_output_stays_text_and_the_page_stays_responsive(env):
    page = env["page"]
    page.goto(env["base"])
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


def test_podman_away_is_shown(env):
    """A Burrow whose Podman does not answer still serves the page, and says so plainly."""
    work = tempfile.mkdtemp(prefix="burrow-nopodman-")
    path = os.path.join(work, "burrow.json")
    json.dump({"listen": f"127.0.0.1:{free_port()}", "stateDir": os.path.join(work, "state"),
               "podmanSocket": os.path.join(work, "no-podman.sock"), "network": "none"}, open(path, "w"))
    process, url = run_burrow(work, path)
    try:
        page = env["browser"].new_page()
        page.goto(url)
        banner = page.locator("#podman-status")
        expect(banner).to_be_visible(timeout=10000)
        expect(banner).to_contain_text("Podman does not answer")
        expect(banner).to_contain_text("catches up")
        expect(banner).to_contain_text("launches fail")  # never the promise that launches wait: they get 503
        expect(banner).not_to_contain_text("launches wait")
        page.close()
    finally:
        stop_server(process, url)


def test_without_token_explains_how_to_get_in(env):
    context = env["browser"].new_context()
    page = context.new_page()
    page.goto(env["base"].split("?")[0])
    expect(page.locator("#signin")).to_be_visible()
    expect(page.locator("#signin")).to_contain_text("?token=")
    context.close()


def run(tests, env):
    passed = failed = 0
    for test in tests:
        try:
            test(env)
            passed += 1
            print(f"PASS {test.__name__}", flush=True)
        except Exception:
            failed += 1
            print(f"FAIL {test.__name__}\n{traceback.format_exc()}", flush=True)
    return passed, failed


def main():
    os.makedirs(SHOTS, exist_ok=True)
    only = sys.argv[1:]
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
            env = {"page": page, "browser": browser, "url": url, "base": url.split("/?")[0] + "/", "work": work, "server": server}
            tests = [test_launch_watch_reload_diff_teardown, test_failed_burrow_shows_exit_code_and_stderr,
                     test_follow_up_from_the_reply_box_streams_a_second_turn,
                     test_hostile_output_stays_text_and_the_page_stays_responsive,
                     test_page_reconnects_after_a_burrow_restart, test_podman_away_is_shown,
                     test_without_token_explains_how_to_get_in] + test_ui_views.TESTS + test_ui_actions.TESTS + test_ui_runners.TESTS
            tests = [t for t in tests if not only or any(o in t.__name__ for o in only)]
            passed, failed = run(tests, env)
            # Each module below starts its own server (a scripted agent, the live stand-in, asks, groups, previews).
            for module in (test_ui_transcript, test_ui_live, test_ui_asks, test_ui_groups, test_ui_previews):
                chosen = [t for t in module.TESTS if not only or any(o in t.__name__ for o in only)]
                if chosen:
                    p, f = module.run_all(browser, chosen, run)
                    passed, failed = passed + p, failed + f
            browser.close()
    finally:
        stop_server(server["process"], server.get("url", url))
    print(f"browser: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
