"""Browser tests of the page around the transcript, against the stand-in agent: notifications only for
news, stopping, unknown ids, the phone layout, keyboard and landmarks, installability, the list filters."""
import re
from playwright.sync_api import expect
from ui_support import launch, shot, no_horizontal_overflow, wait_all_final

FAKE_NOTIFICATION = """
window.__notes = [];
window.Notification = class { constructor(title, options) { window.__notes.push(title); }
  static get permission() { return 'granted'; } static requestPermission() { return Promise.resolve('granted'); } };
"""


def new_page(env, width=1280, height=860, scale=1, init=None, scheme=None):
    context = env["browser"].new_context(viewport={"width": width, "height": height}, device_scale_factor=scale,
                                         color_scheme=scheme or "light")
    if init:
        context.add_init_script(init)
    page = context.new_page()
    page.goto(env["url"])
    expect(page.locator("#app")).to_be_visible()
    return context, page


def test_fresh_load_fires_no_notifications_and_a_live_end_fires_one(env):
    # Earlier tests left finished burrows behind; /api/events replays their transitions. (One still
    # finishing when the page opens would rightly notify: wait for them all first.)
    wait_all_final(env["server"].get("url", env["url"]))
    context, page = new_page(env, init=FAKE_NOTIFICATION)
    try:
        expect(page.locator("#burrows li")).not_to_have_count(0)
        page.wait_for_timeout(2500)
        assert page.evaluate("window.__notes") == [], f"old transitions notified: {page.evaluate('window.__notes')}"
        assert page.title() == "Burrow"
        launch(page, "Notify me SLEEP=1")
        expect(page.locator("#b-state")).to_have_text("succeeded", timeout=30000)
        page.wait_for_function("window.__notes.length > 0", timeout=5000)
        page.wait_for_timeout(500)
        assert page.evaluate("window.__notes") == ["Burrow succeeded: demo"], page.evaluate("window.__notes")
        expect(page.locator("#announcer")).to_have_text("demo: succeeded")
    finally:
        context.close()


def test_stop_shows_stopping_while_it_is_under_way(env):
    page = env["page"]
    page.goto(env["base"])
    # Every text the working indicator shows, from the launch on: "Preparing" names its step.
    page.evaluate("""window.__working = []; new MutationObserver(() => window.__working.push(document.getElementById('working').textContent))
        .observe(document.getElementById('working'), { childList: true, subtree: true, characterData: true })""")
    launch(page, "Take a while SLEEP=40")
    expect(page.locator("#b-state")).to_have_text("running", timeout=30000)
    expect(page.locator("#working")).to_contain_text("Working")
    seen = page.evaluate("window.__working")
    assert any(re.search(r"Preparing: .* \(step \d of 3", text) for text in seen), f"no step while preparing: {seen}"
    page.click("#stop")
    expect(page.locator("#b-state")).to_have_text("stopping…", timeout=3000)
    expect(page.locator("#stop")).to_be_disabled()
    expect(page.locator("#b-state")).to_have_text("stopped", timeout=40000)
    expect(page.locator("#working")).to_be_hidden()


def test_an_unknown_burrow_says_so(env):
    page = env["page"]
    page.goto(env["base"] + "#/burrows/0123456789ab")
    expect(page.locator("#missing")).to_be_visible(timeout=10000)
    expect(page.locator("#missing")).to_contain_text("No such burrow")
    expect(page.locator("#missing")).to_contain_text("0123456789ab")
    for control in ("#stop", "#teardown", "#send", "#reply"):
        expect(page.locator(control)).to_be_hidden()
    page.goto(env["base"] + "#/burrows/..%2F..%2Fetc")
    expect(page.locator("#missing")).to_be_visible()


def test_phone_keeps_the_burrow_in_view_and_wraps_long_words(env):
    context, page = new_page(env, 390, 844, scale=2)
    try:
        expect(page.locator(".list-panel")).to_be_visible()
        expect(page.locator("#view")).to_be_hidden()           # two views: the list first
        no_horizontal_overflow(page)
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        burrow = launch(page, "x" * 2000 + " SLEEP=1")
        title = page.locator("#burrow-title")
        expect(title).to_be_in_viewport()
        expect(page.locator(".list-panel")).to_be_hidden()
        expect(page.locator("#b-state")).to_have_text("succeeded", timeout=30000)
        expect(title).to_be_in_viewport()
        no_horizontal_overflow(page)
        # One scroll container: nothing inside the burrow scrolls on its own.
        inner = page.evaluate("""[...document.querySelectorAll('#view *')].filter((e) => {
            const s = getComputedStyle(e); return e.tagName !== 'TEXTAREA' && /(auto|scroll)/.test(s.overflowY) && e.scrollHeight > e.clientHeight; }).map((e) => e.id || e.className)""")
        assert inner == [], f"inner scroll boxes: {inner}"
        shot(page, "phone-burrow-long-task.png")
        # The header's buttons on one row, at the narrowest common phone width too.
        for width in (390, 360):
            page.set_viewport_size({"width": width, "height": 780})
            tops = page.evaluate("""['raw-toggle', 'stop', 'teardown', 'more-actions'].map((id) => document.getElementById(id))
                .filter(Boolean).map((node) => Math.round((node.closest('label') || node).getBoundingClientRect().top))""")
            assert len(tops) >= 3 and max(tops) - min(tops) <= 8, f"header buttons on several rows at {width} px: {tops}"
        page.set_viewport_size({"width": 390, "height": 844})
        page.click(".burrow-head .back")
        expect(page.locator(f"#burrows a[data-id='{burrow}']")).to_be_visible()
        page.locator("#burrows li a").nth(1).click()           # a tap opens the burrow, in view
        expect(title).to_be_in_viewport()
    finally:
        context.close()


def test_keyboard_landmarks_and_names(env):
    page = env["page"]
    page.goto(env["base"])
    expect(page.locator("#burrows li")).not_to_have_count(0)
    page.keyboard.press("Tab")
    skip = page.locator("a.skip")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    assert page.locator("header").count() == 1 and page.locator("main").count() == 1 and page.locator("nav").count() == 1
    expect(page.locator("h1")).to_have_text("Burrow")
    page.locator("body").press("j")
    page.wait_for_function("location.hash.startsWith('#/burrows/')")
    first = page.evaluate("location.hash")
    ids = page.eval_on_selector_all("#burrows a[data-id]", "(links) => links.map((a) => a.dataset.id)")
    assert first == f"#/burrows/{ids[0]}"
    page.locator("body").press("j")
    page.wait_for_function(f"location.hash === '#/burrows/{ids[1]}'")
    page.keyboard.press("Alt+ArrowUp")
    page.wait_for_function(f"location.hash === '{first}'")
    expect(page.locator("#b-link")).to_have_attribute("aria-label", f"Permalink to burrow {ids[0]}")
    expect(page.locator("#burrow-title")).not_to_be_empty()
    expect(page.locator("#announcer")).to_have_attribute("aria-live", "polite")
    page.locator("body").press("?")
    expect(page.locator("#help .help-body")).to_be_visible()
    expect(page.locator("#help")).to_contain_text("next burrow")
    page.keyboard.press("Escape")
    expect(page.locator("#help .help-body")).to_be_hidden()
    page.reload()
    expect(page.locator("#burrow")).to_be_visible()
    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")                         # the skip link lands on the burrow, the route stays
    expect(page.locator("#view")).to_be_focused()
    assert page.evaluate("location.hash") == first


def test_installable_with_no_404(env):
    context = env["browser"].new_context(viewport={"width": 1280, "height": 860})
    failures = []
    page = context.new_page()
    page.on("response", lambda r: r.status >= 400 and failures.append(f"{r.status} {r.url}"))
    page.on("console", lambda m: m.type == "error" and failures.append(m.text))
    try:
        page.goto(env["url"])
        expect(page.locator("#burrows li")).not_to_have_count(0)
        page.wait_for_timeout(1000)
        manifest = page.request.get(env["base"] + "manifest.webmanifest")
        assert manifest.status == 200 and "manifest+json" in manifest.headers["content-type"]
        icons = manifest.json()["icons"]
        assert any(i["type"] == "image/png" and i["sizes"] == "512x512" for i in icons)
        for icon in icons:
            assert page.request.get(env["base"] + icon["src"].lstrip("/")).status == 200, icon
        assert page.evaluate("navigator.serviceWorker ? navigator.serviceWorker.getRegistrations().then((r) => r.length) : 0") == 0
        assert page.evaluate("document.querySelector('link[rel=icon]').href").endswith("/icon.svg")
        assert failures == [], failures
    finally:
        context.close()


def test_list_search_and_filters(env):
    page = env["page"]
    page.goto(env["base"])
    expect(page.locator("#burrows li")).not_to_have_count(0)
    total = page.locator("#burrows li").count()
    page.fill("#filter-text", "Break it")
    expect(page.locator("#burrows li")).to_have_count(1)
    expect(page.locator("#burrows li .badge")).to_have_text("failed")
    page.fill("#filter-text", "")
    page.select_option("#filter-state", "failed")
    expect(page.locator("#burrows li .badge", has_text=re.compile("^(?!failed$)"))).to_have_count(0)
    page.select_option("#filter-state", "torn")
    expect(page.locator("#burrows li")).to_have_count(1)                    # the one the first test tore down
    page.select_option("#filter-state", "")
    page.fill("#filter-text", "no burrow has this text")
    expect(page.locator("#list-empty")).to_have_text("No burrow matches these filters.")
    page.fill("#filter-text", "")
    expect(page.locator("#burrows li")).to_have_count(total)
    meta = page.locator("#burrows li .meta").first
    expect(meta.locator("time.started")).to_have_text(re.compile(r"\d\d:\d\d"))
    expect(meta.locator(".elapsed")).to_have_text(re.compile(r"^\d+(s|m \d+s)"))


def test_repositories_are_added_and_removed_from_the_page(env):
    import subprocess, tempfile
    page = env["page"]
    page.goto(env["base"])
    expect(page.locator("#repo")).to_have_value("demo", timeout=30000)
    page.click("#repos-panel summary")
    expect(page.locator("#repos-list li", has_text="demo")).to_contain_text("(config file)")
    page.fill("#repo-source", "/nonexistent/burrow-added")
    page.click("#repo-add")
    expect(page.locator("#repo-error")).to_contain_text("is not a folder")
    expect(page.locator("#repos-list li")).to_have_count(1)
    folder = tempfile.mkdtemp(prefix="added-repo-")
    subprocess.run(["git", "-C", folder, "init", "-q", "-b", "main"], check=True)
    subprocess.run(["git", "-C", folder, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "init"], check=True)
    name = folder.rsplit("/", 1)[1]
    page.fill("#repo-source", folder)
    page.click("#repo-add")
    expect(page.locator("#repo-error")).to_be_hidden()
    expect(page.locator("#repo")).to_have_value(name)
    added = page.locator("#repos-list li", has_text=name)
    expect(added).to_contain_text("(added here)")
    shot(page, "repositories.png")
    added.locator("button", has_text="Remove").click()
    expect(page.locator("#repos-list li", has_text=name)).to_have_count(0)
    expect(page.locator("#repo")).to_have_value("demo")
    subprocess.run(["rm", "-rf", folder])


def test_a_wide_screen_puts_the_list_beside_the_form(env):
    context, page = new_page(env, 1440, 900)
    try:
        page.goto(env["base"] + "#/")
        expect(page.locator("#burrows li").first).to_be_visible(timeout=15000)
        form, burrows = page.locator(".launch").bounding_box(), page.locator("#burrows").bounding_box()
        assert burrows["x"] >= form["x"] + form["width"], f"the list is not beside the form: {form} {burrows}"
        assert burrows["width"] >= 600, f"the list does not use the width: {burrows}"
        assert burrows["y"] < form["y"] + form["height"], "the list starts beside the form, not under it"
        shot(page, "desktop-list-wide.png")
        page.locator("#burrows li a").first.click()
        expect(page.locator("#view")).to_be_visible()          # a burrow open: the list is a column again
        assert page.locator("#burrows").bounding_box()["width"] < 480
    finally:
        context.close()


TESTS = [test_fresh_load_fires_no_notifications_and_a_live_end_fires_one, test_stop_shows_stopping_while_it_is_under_way,
         test_an_unknown_burrow_says_so, test_phone_keeps_the_burrow_in_view_and_wraps_long_words,
         test_keyboard_landmarks_and_names, test_installable_with_no_404, test_list_search_and_filters,
         test_repositories_are_added_and_removed_from_the_page, test_a_wide_screen_puts_the_list_beside_the_form]
