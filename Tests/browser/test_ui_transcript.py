"""Browser tests of the transcript against recorded Claude Code sessions: a Burrow whose agent is
`sh -c` and whose task `cat`s a recorded stream-json file (scripted_sessions.py), so Edit/Write/
TodoWrite/api_retry/failed results/markdown and the attacks in them arrive exactly as the real CLI
prints them. Also the contrast check in both themes and the README screenshots."""
import os, re, tempfile
from playwright.sync_api import expect
from ui_support import start_burrow, launch, shot, no_horizontal_overflow, stop_server
import scripted_sessions

CONTRAST = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "contrast.js")).read()
SPECIMENS = """async () => {
  const { netLine } = await import('/js/entries.js');
  const box = document.createElement('div');
  box.id = 'specimens';
  for (const state of ['queued', 'preparing', 'running', 'stopping', 'succeeded', 'failed', 'stopped']) {
    const badge = document.createElement('span'); badge.className = `badge ${state}`; badge.textContent = state; box.append(badge);
  }
  box.append(netLine({ phase: 'denied', host: 'evil.example', port: 443, method: 'CONNECT', reason: 'not in the allowlist' }));
  box.append(netLine({ phase: 'model', host: 'api', port: 443, method: 'POST', path: '/v1/messages', status: 200, bytesSent: 2048, bytesReceived: 4096 }));
  const warn = document.createElement('ul'); warn.className = 'warnings';
  warn.innerHTML = '<li>Podman: a warning</li><li class="open-network">Open network</li>';
  const error = document.createElement('p'); error.className = 'error'; error.textContent = 'an error';
  box.append(warn, error);
  document.getElementById('transcript').append(box);
}"""


def open_session(page, name):
    page.bring_to_front()
    burrow = launch(page, f"cat {name}.ndjson")
    expect(page.locator("#b-state")).to_have_text(re.compile("succeeded|failed"), timeout=30000)
    expect(page.locator("#transcript .entry.result")).to_have_count(1)
    return burrow


def test_a_recorded_session_reads_like_the_terminal(env):
    page = env["page"]
    page.goto(env["base"])
    open_session(page, "rich")
    transcript = page.locator("#transcript")
    # Markdown as elements, built safely.
    expect(transcript.locator(".entry.text strong", has_text="date parser")).to_have_count(1)
    expect(transcript.locator(".entry.text ol li")).to_have_count(3)
    code = transcript.locator(".codeblock").first
    expect(code.locator("code")).to_have_text("assert parse('2026-W48') == date(2026, 11, 23)")
    expect(code.locator("button.copy")).to_have_count(1)
    safe = transcript.locator("a.md-link", has_text="the ISO 8601 notes")
    expect(safe).to_have_attribute("href", "https://example.com/iso-8601")
    expect(safe).to_have_attribute("rel", "noopener noreferrer")
    expect(transcript).to_contain_text("[this](javascript:window.__xss=2)")
    assert transcript.locator("a[href^='javascript']").count() == 0
    page.locator("#transcript details").evaluate_all("(all) => all.forEach((d) => { d.open = true; })")
    assert transcript.locator("img").count() == 0, "agent text or tool output became HTML"
    assert page.evaluate("window.__xss") is None, "agent text ran script"
    expect(transcript.locator("pre.result", has_text=scripted_sessions.XSS_TEXT)).to_have_count(1)
    # Claude Code's own events for what they are.
    expect(transcript.locator(".entry.log.warn")).to_have_text("API error 529 · overloaded: retrying in 2 s (attempt 1 of 10)")
    expect(transcript.locator(".entry.log", has_text="Background task started: python -m pytest -q tests")).to_have_count(1)
    expect(transcript.locator(".entry.log", has_text="Background task completed: pytest finished")).to_have_count(1)
    expect(transcript).not_to_contain_text("thinking_tokens")
    # Edit as a diff, Write as added lines (folded: it is long), TodoWrite as a checklist.
    edit = transcript.locator("details[data-tool=Edit]")
    expect(edit.locator(".l.del")).to_have_text(["-     return date(int(year), 1, 1)"])
    expect(edit.locator(".l.add")).to_have_text(["+     return date.fromisocalendar(int(year), int(week), 1)"])
    expect(edit.locator(".tool-stat")).to_have_text("+1 −1")
    write = transcript.locator("details[data-tool=Write]")
    expect(write.locator(".tool-stat")).to_have_text("+30 lines")
    expect(write.locator(".l.add")).to_have_count(30)
    todos = transcript.locator("details[data-tool=TodoWrite] .todo")
    expect(todos).to_have_count(3)
    expect(transcript.locator(".todo.completed")).to_have_text("☑ Read the failing test")
    expect(transcript.locator(".todo.in_progress")).to_have_text("◐ Fixing parse_week")
    # A failed Bash call is marked while collapsed, with its exit status; its long output folds.
    page.reload()
    expect(transcript.locator(".entry.result")).to_have_count(1, timeout=10000)
    bash = transcript.locator("details[data-tool=Bash]")
    assert bash.get_attribute("open") is None
    expect(bash).to_have_class(re.compile("failed"))
    expect(bash.locator(".tool-status")).to_have_text("exit 1")
    expect(bash.locator(".tool-status")).to_be_visible()
    expect(bash.locator(".tool-arg")).to_have_text("python -m pytest -q tests")
    expect(bash.locator("details.output summary")).to_have_text("Output · 22 lines")
    expect(transcript.locator(".entry.thinking details")).not_to_have_attribute("open", "")
    # Timestamps from the events; the final answer once; the cost without $0.0000 noise.
    expect(transcript.locator(".entry.text").first).to_have_attribute("data-timestamp", "2026-11-24T09:30:02.000Z")
    expect(transcript.locator(".entry.text").first).to_have_attribute("data-time", re.compile(r"^\d\d:30:02$"))
    expect(transcript.get_by_text("ISO weeks")).to_have_count(1)
    expect(transcript.locator(".entry.result")).to_contain_text("Finished: success · the agent reports $0.0456 · 7 agent turns · agent 22s")
    expect(page.locator("#b-state")).to_have_text("succeeded")


def test_an_api_failure_is_a_failure_everywhere(env):
    page = env["page"]
    page.goto(env["base"])
    burrow = open_session(page, "apifail")       # the process exits 0; the result says is_error
    expect(page.locator("#b-state")).to_have_text("failed")
    result = page.locator("#transcript .entry.result")
    expect(result).to_contain_text("Failed: API error 529")
    expect(result).not_to_contain_text("$0.0000")
    expect(page.locator("#transcript")).not_to_contain_text("Finished: success")
    # The burrow's error box: the API's status, never the "success" subtype Claude Code gives it (#27.10).
    expect(page.locator("#b-error")).to_contain_text("the agent reported an error (API status 529)")
    expect(page.locator("#b-error")).not_to_contain_text("success")
    expect(page.locator("#transcript .entry.log.warn")).to_have_count(2)
    expect(page.locator(f"#burrows a[data-id='{burrow}'] .badge")).to_have_text("failed")
    expect(page.locator(f"#burrows a[data-id='{burrow}'] .meta")).not_to_contain_text("$")
    expect(page.locator("#b-facts")).not_to_contain_text("$0.0000")
    page.goto(env["base"])                        # the list stays honest after a reload
    expect(page.locator(f"#burrows a[data-id='{burrow}'] .badge")).to_have_text("failed")


def test_the_working_indicator_names_the_running_tool(env):
    page = env["page"]
    page.goto(env["base"])
    launch(page, "cat slow1.ndjson; sleep 15; cat slow2.ndjson")  # a wide window: the page may be busy
    working = page.locator("#working")
    expect(working).to_contain_text("Bash: make test", timeout=30000)
    expect(working).to_contain_text(re.compile(r"· \d+ s"))
    first = int(re.search(r"(\d+) s", working.inner_text()).group(1))
    # The count goes on by itself (a 1 s tick); on a loaded machine a tick may come late, so wait for it.
    page.wait_for_function("""(first) => { const m = document.getElementById('working').innerText.match(/(\\d+) s/);
        return m && Number(m[1]) >= first + 2; }""", arg=first, timeout=10000)
    expect(page.locator("#b-state")).to_have_text("succeeded", timeout=30000)
    expect(working).to_be_hidden()
    expect(page.locator("#transcript details[data-tool=Bash] .tool-status")).to_have_text("exit 0")


def test_network_events_fold_into_one_quiet_line_per_run(env):
    page = env["page"]
    page.goto(env["base"])                       # list only: the transcript element is empty
    page.evaluate("""async () => {
      const { TranscriptView } = await import('/js/transcript.js');
      const view = new TranscriptView();
      const net = (phase) => ({ kind: 'net', value: { phase, host: 'h', port: 443, method: 'POST', path: '/v1/messages', status: 200, allowed: phase !== 'denied' } });
      for (const phase of ['model', 'model', 'opened', 'closed']) view.push(net(phase));
      view.push({ kind: 'agent', value: { type: 'assistant', message: { content: [{ type: 'text', text: 'between' }] } } });
      view.push(net('model'));
      view.push(net('denied'));
      await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    }""")
    groups = page.locator("#transcript .net-group")
    expect(groups).to_have_count(2)
    expect(groups.nth(0).locator("summary")).to_have_text("network · 3 events · 2 model calls")
    expect(groups.nth(1).locator("summary")).to_have_text("network · 2 events · 1 model call · ✗ 1 refused")
    assert groups.nth(0).get_attribute("open") is None


def contrast_failures(page):
    result = page.evaluate(CONTRAST)
    assert len(result["text"]) > 40 and len(result["controls"]) > 5, "the contrast probe found too little to judge"
    bad = [t for t in result["text"] if t["ratio"] < 4.5] + [c for c in result["controls"] if c["ratio"] < 3]
    return bad, len(result["text"]), len(result["controls"])


def test_contrast_meets_wcag_aa_in_both_themes(env):
    for scheme in ("light", "dark"):
        context = env["browser"].new_context(viewport={"width": 1280, "height": 860}, color_scheme=scheme)
        page = context.new_page()
        try:
            page.goto(env["url"])
            rich = page.locator("#burrows a", has_text="cat rich.ndjson").first
            rich.click()
            expect(page.locator("#transcript .entry.result")).to_have_count(1, timeout=10000)
            page.locator("#transcript details").evaluate_all("(all) => all.forEach((d) => { d.open = true; })")
            page.evaluate(SPECIMENS)
            page.locator("#help summary").click()
            bad, texts, controls = contrast_failures(page)
            assert bad == [], f"{scheme}: below WCAG AA ({texts} texts, {controls} controls checked): {bad}"
            print(f"  contrast {scheme}: {texts} texts ≥ 4.5:1, {controls} controls ≥ 3:1", flush=True)
        finally:
            context.close()


def test_screenshots_phone_and_desktop_light_and_dark(env):
    for scheme in ("light", "dark"):
        for name, width, height, scale in (("desktop", 1280, 860, 1), ("phone", 390, 844, 2)):
            context = env["browser"].new_context(viewport={"width": width, "height": height}, device_scale_factor=scale, color_scheme=scheme)
            page = context.new_page()
            try:
                page.goto(env["url"])
                expect(page.locator("#burrows li")).not_to_have_count(0)
                page.locator("#burrows a", has_text="cat apifail.ndjson").first.click()   # the list learns its outcome
                expect(page.locator("#b-state")).to_have_text("failed")
                page.goto(env["base"])
                if name == "phone":
                    shot(page, f"phone-list-{scheme}.png")
                page.locator("#burrows a", has_text="cat rich.ndjson").first.click()
                expect(page.locator("#transcript .entry.result")).to_have_count(1, timeout=10000)
                page.wait_for_timeout(300)
                no_horizontal_overflow(page)
                page.evaluate("window.scrollTo(0, 0)")
                edit = page.locator("#transcript details[data-tool=Edit]")
                if name == "phone":
                    edit.scroll_into_view_if_needed()
                    page.evaluate("window.scrollBy(0, -120)")
                shot(page, f"{name}-{scheme}.png")
            finally:
                context.close()


TESTS = [test_a_recorded_session_reads_like_the_terminal, test_an_api_failure_is_a_failure_everywhere,
         test_the_working_indicator_names_the_running_tool, test_network_events_fold_into_one_quiet_line_per_run,
         test_contrast_meets_wcag_aa_in_both_themes, test_screenshots_phone_and_desktop_light_and_dark]


def run_all(browser, tests, run):
    """Runs `tests` against a Burrow of their own, whose agent replays recorded sessions."""
    work = tempfile.mkdtemp(prefix="burrow-browser-scripted-")
    process, url = start_burrow(work, agent_command=["sh", "-c"], files=scripted_sessions.FILES)
    try:
        context = browser.new_context(viewport={"width": 1280, "height": 860})
        page = context.new_page()
        page.goto(url)
        env = {"page": page, "browser": browser, "url": url, "base": url.split("/?")[0] + "/", "work": work}
        ordered = sorted(tests, key=lambda t: t.__name__.startswith(("test_contrast", "test_screenshots")))
        if any(t.__name__.startswith(("test_contrast", "test_screenshots")) for t in ordered) and test_a_recorded_session_reads_like_the_terminal not in ordered:
            open_session(page, "rich")
        result = run(ordered, env)
        context.close()
        return result
    finally:
        stop_server(process, url)
