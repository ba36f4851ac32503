"""Ask instead of stall, in the page: a burrow (its agent `sh -c TASK`, the attacker) asks for a host
off its allowlist; the request is held, a card with the host as text and a countdown appears, the
person clicks "Allow once" and the held request completes (a loopback stand-in records it)."""
import http.server, json, os, sys, tempfile, threading
from playwright.sync_api import expect

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ui_support import start_burrow, launch, stop_server, shot  # noqa: E402

HOST = "asked.ask.test"
RULED = "ruled.ask.test"  # on the allowlist, with rules that allow only GET /public/**


class StandIn(http.server.BaseHTTPRequestHandler):
    seen = []

    def do_GET(self):
        StandIn.seen.append(self.path)
        body = b"hello from the stand-in\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_allow_once_from_the_page_completes_the_held_request(env):
    page, port = env["page"], env["port"]
    # Records notifications instead of showing them; permission is granted by the context.
    page.add_init_script("window.__notes = []; window.Notification = class { static permission = 'granted'; "
                         "static requestPermission() { return Promise.resolve('granted'); } "
                         "constructor(title, options) { window.__notes.push(title + ' | ' + (options && options.body)); } };")
    page.goto(env["base"])
    launch(page, f"wget -q -O - 'http://{HOST}:{port}/held/<b>bold</b>'; echo \"held exit=$?\"; "
                 f"wget -q -O - 'http://{HOST}:{port}/kept'; echo \"kept exit=$?\"")
    card = page.locator("#asks .ask-card")
    expect(card).to_have_count(1, timeout=60000)
    expect(card.locator(".ask-target")).to_have_text(f"{HOST}:{port}")
    expect(card.locator(".ask-request")).to_contain_text("GET /held/")
    assert card.locator("b").count() == 0, "the path from the burrow stays text"
    expect(card.locator(".ask-countdown")).to_contain_text("Denied in")
    assert StandIn.seen == [], "held: nothing reached the stand-in before the answer"
    page.wait_for_function("window.__notes.length > 0")
    assert HOST in page.evaluate("window.__notes[0]")
    shot(page, "ask.png")
    card.get_by_role("button", name="Allow once").click()
    expect(page.locator("#transcript")).to_contain_text("held exit=0", timeout=30000)
    expect(page.locator("#transcript")).to_contain_text("hello from the stand-in")
    expect(page.locator("#asks .ask-card", has_text="/held/")).to_have_count(0)
    assert len(StandIn.seen) == 1 and StandIn.seen[0].startswith("/held/"), StandIn.seen
    # Allow once was for that request only: the next one asks again; "Always for this repo" keeps the
    # host, listed under the launch form with a way to remove it.
    card = page.locator("#asks .ask-card", has_text="GET /kept")
    expect(card).to_have_count(1, timeout=30000)
    card.get_by_role("button", name="Always for this repo").click()
    expect(page.locator("#transcript")).to_contain_text("kept exit=0", timeout=30000)
    panel = page.locator("#allowed-panel")
    expect(panel).to_be_visible()
    panel.locator("summary").click()
    expect(page.locator("#allowed-list li")).to_contain_text(f"{HOST}:{port}")
    page.locator("#allowed-list li button", has_text="Remove").click()
    expect(panel).to_be_hidden()
    expect(page.locator("#asks .ask-card")).to_have_count(0)


def test_always_for_this_repo_keeps_a_refused_request_for_later_burrows(env):
    page, port = env["page"], env["port"]
    page.goto(env["base"])
    launch(page, f"wget -q -O - 'http://{RULED}:{port}/issues'; echo \"issues exit=$?\"")
    card = page.locator("#asks .ask-card", has_text="GET /issues")
    expect(card).to_have_count(1, timeout=60000)
    expect(card.locator(".ask-title")).to_contain_text("The rules refuse this request")
    expect(card.get_by_role("button")).to_have_count(4)
    card.get_by_role("button", name="Always for this repo").click()
    expect(page.locator("#transcript")).to_contain_text("issues exit=0", timeout=30000)
    kept = f"GET {RULED}:{port} /issues"
    panel = page.locator("#allowed-panel")
    expect(panel).to_be_visible()
    expect(page.locator("#allowed-summary")).to_have_text("Allowed for good: 1")
    panel.locator("summary").click()
    expect(page.locator("#allowed-list li")).to_contain_text(kept)
    # The repo's next burrow sends it without asking.
    launch(page, f"wget -q -O - 'http://{RULED}:{port}/issues'; echo \"again exit=$?\"")
    expect(page.locator("#transcript")).to_contain_text("again exit=0", timeout=60000)
    expect(page.locator("#asks .ask-card")).to_have_count(0)
    assert StandIn.seen.count("/issues") == 2, StandIn.seen
    page.locator("#allowed-list li", has_text=kept).locator("button", has_text="Remove").click()
    expect(panel).to_be_hidden()


TESTS = [test_allow_once_from_the_page_completes_the_held_request, test_always_for_this_repo_keeps_a_refused_request_for_later_burrows]


def run_all(browser, tests, run):
    """Runs `tests` against a Burrow of their own that asks about unlisted hosts."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    work = tempfile.mkdtemp(prefix="burrow-browser-asks-")
    ruled = f"{RULED}:{port}"
    network = {"mode": "allowlist", "allow": [ruled], "unlisted": "ask", "askSeconds": 90, "resolve": {HOST: "127.0.0.1", RULED: "127.0.0.1"},
               "rules": {ruled: ["GET /public/**"]}}
    process, url = start_burrow(work, agent_command=["sh", "-c"], config_extra={"network": network})
    try:
        context = browser.new_context(viewport={"width": 1280, "height": 860})
        page = context.new_page()
        page.goto(url)
        result = run(tests, {"page": page, "browser": browser, "url": url, "base": url.split("/?")[0] + "/", "work": work, "port": port})
        context.close()
        return result
    finally:
        stop_server(process, url)
        server.shutdown()


if __name__ == "__main__":
    from playwright.sync_api import sync_playwright
    from test_ui import run
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"])
        passed, failed = run_all(browser, TESTS, run)
        browser.close()
    print(f"browser (asks): {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
