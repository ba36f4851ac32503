"""Browser tests of previews: a server the agent starts in its burrow (`python3 -m http.server`, in the
agent image) opens in real Chromium from the burrow page's "Open :PORT" link, on its own origin
(http://PORT--ID.localhost:BURROW_PORT/), signed in by a one-time code; a browser context without that
sign-in gets 401, and the previewed page cannot call Burrow's API."""
import os, re
from playwright.sync_api import expect
from ui_support import launch, shot, run_with_own_burrow

AGENT_IMAGE = os.environ.get("BURROW_TEST_AGENT_IMAGE", "localhost/burrow-agent:latest")
MARKER = "Served from inside the burrow"
TASK = ("mkdir -p /tmp/site && cd /tmp/site && echo '<h1>" + MARKER + "</h1>' > index.html && "
        "python3 -m http.server 8000 --bind 127.0.0.1 & sleep 300")


def test_the_page_link_opens_the_preview_and_only_for_the_signed_in_browser(env):
    page, browser = env["page"], env["browser"]
    page.goto(env["base"])
    burrow = launch(page, TASK)
    link = page.locator("#b-previews a", has_text="Open :8000")
    expect(link).to_be_visible(timeout=60000)
    assert link.get_attribute("href") == f"/api/burrows/{burrow}/previews/8000/open"
    with page.context.expect_page() as opened:
        link.click()
    preview = opened.value
    preview.wait_for_load_state()
    expect(preview.locator("h1")).to_have_text(MARKER, timeout=15000)
    port = env["base"].rstrip("/").rsplit(":", 1)[1]
    origin = f"http://8000--{burrow}.localhost:{port}"
    assert preview.url == origin + "/", preview.url  # the one-time code is gone from the address bar
    cookies = [c for c in page.context.cookies(origin) if c["name"] == "burrow_preview"]
    assert len(cookies) == 1 and cookies[0]["httpOnly"], cookies
    assert not [c for c in page.context.cookies(origin) if c["name"] == "burrow_token"], "Burrow's token never reaches a preview origin"
    # The previewed page cannot call Burrow's API: its own origin refuses the API's routes, and Burrow's
    # origin takes no request from it without the token (which this origin never had).
    status = preview.evaluate("fetch('/api/burrows').then((r) => r.status)")
    assert status == 403, status
    status = preview.evaluate(f"fetch('{env['base']}api/burrows', {{credentials: 'include'}}).then((r) => r.status).catch(() => 'blocked')")
    assert status in (401, 403, "blocked"), status
    shot(page, "previews.png")
    preview.close()
    # Another browser (no sign-in on that origin): 401, and not the page.
    stranger = browser.new_context()
    other = stranger.new_page()
    response = other.goto(origin + "/")
    assert response.status == 401, response.status
    expect(other.locator("body")).not_to_contain_text(MARKER)
    expect(other.locator("body")).to_contain_text("not signed in")
    stranger.close()
    page.click("#stop")
    expect(page.locator("#b-state")).to_have_text(re.compile("stopped|failed|succeeded"), timeout=60000)
    expect(page.locator("#b-previews")).to_be_hidden(timeout=15000)


TESTS = [test_the_page_link_opens_the_preview_and_only_for_the_signed_in_browser]


def run_all(browser, tests, run):
    """Runs `tests` against a Burrow of their own whose agent is `bash -c TASK` in the agent image."""
    return run_with_own_burrow(browser, tests, run, "burrow-browser-previews-", agent_command=["bash", "-c"],
                               config_extra={"image": AGENT_IMAGE})


if __name__ == "__main__":
    import sys
    from playwright.sync_api import sync_playwright
    from test_ui import run
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"])
        passed, failed = run_all(browser, TESTS, run)
        browser.close()
    print(f"browser (previews): {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
