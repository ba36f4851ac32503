"""Browser tests of what is live while an agent works: text streamed as the model writes it (recorded
`stream_event` lines of Claude Code's `--include-partial-messages`), the files changed so far (counted
inside the burrow), and the final diff (file list, folding, binary files summarised, per-turn diffs,
the base). The agent is `sh -c` and the task is a script, so timing and content are exact."""
import json, os, re
from playwright.sync_api import expect
from ui_support import run_with_own_burrow, launch, shot, no_horizontal_overflow

SESSION = "7c1d0000-0000-4000-8000-00000000aaaa"
MESSAGE = "msg_partial_1"
FINAL_TEXT = "Hello from the streaming agent: this text arrived in pieces."


def line(value):
    return json.dumps(value) + "\n"


def stream_event(event):
    return line({"type": "stream_event", "event": event, "session_id": SESSION, "parent_tool_use_id": None, "uuid": "u", "api_message_id": MESSAGE})


def delta(text):
    return stream_event({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": text}})


PARTIAL_1 = (line({"type": "system", "subtype": "init", "session_id": SESSION, "model": "claude-opus-5-5", "cwd": "/workspace"})
             + line({"type": "system", "subtype": "status", "status": "requesting", "session_id": SESSION})
             + stream_event({"type": "message_start", "message": {"id": MESSAGE, "type": "message", "role": "assistant", "content": []}})
             + stream_event({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})
             + delta("Hello from the ") + delta("streaming agent: <img src=x onerror=window.__xss=1>"))
PARTIAL_2 = (delta(" this text arrived in pieces.")
             + line({"type": "assistant", "message": {"id": MESSAGE, "role": "assistant", "content": [{"type": "text", "text": FINAL_TEXT}]},
                     "session_id": SESSION, "uuid": "a-1"})
             + stream_event({"type": "content_block_stop", "index": 0}) + stream_event({"type": "message_stop"})
             + line({"type": "result", "subtype": "success", "is_error": False, "result": FINAL_TEXT, "session_id": SESSION, "num_turns": 1}))
INIT = line({"type": "system", "subtype": "init", "session_id": SESSION, "model": "claude-opus-5-5", "cwd": "/workspace"})
FILES = {"partial-1.ndjson": PARTIAL_1, "partial-2.ndjson": PARTIAL_2, "init.ndjson": INIT}


def test_streamed_text_shows_before_the_message_and_gives_way_to_it(env):
    page = env["page"]
    page.goto(env["base"])
    launch(page, "cat partial-1.ndjson; sleep 6; cat partial-2.ndjson")
    transcript = page.locator("#transcript")
    streaming = transcript.locator(".entry.text.streaming")
    expect(streaming).to_have_count(1, timeout=30000)
    expect(streaming).to_have_text("Hello from the streaming agent: <img src=x onerror=window.__xss=1>")
    expect(page.locator("#b-state")).to_have_text("running")
    expect(transcript.locator(".entry.result")).to_have_count(0)
    assert transcript.locator("img").count() == 0, "streamed text became HTML"
    expect(transcript).not_to_contain_text("system: status")
    expect(page.locator("#b-state")).to_have_text(re.compile("succeeded"), timeout=30000)
    expect(streaming).to_have_count(0)
    expect(transcript.locator(".entry.text", has_text=FINAL_TEXT)).to_have_count(1)
    assert page.evaluate("window.__xss") is None
    # A reload draws the history the same way: the finished message once, nothing left streaming.
    page.reload()
    expect(transcript.locator(".entry.result")).to_have_count(1, timeout=15000)
    expect(transcript.locator(".entry.text.streaming")).to_have_count(0)
    expect(transcript.locator(".entry.text", has_text=FINAL_TEXT)).to_have_count(1)


LIVE_SCRIPT = ("cat init.ndjson; cd /workspace && printf 'more\\n' >> README.md && printf 'one\\ntwo\\n' > new.txt"
               " && printf 'z\\n' > averyveryverylongfilenamewithoutanybreaksthatmustwraponaphonescreenxxxxxxxxxxxxxxxx.txt && printf '\\000\\001\\002binary' > blob.bin && printf 'x\\n' > \"$(printf 'odd\\nname')\""
               " && git config core.pager 'touch /tmp/burrow-ui-live-pager' && i=0; while [ $i -lt 40 ] && [ ! -f /tmp/go ]; do sleep 0.5; i=$((i+1)); done")


def test_live_changes_while_running_then_the_final_diff(env):
    page = env["page"]
    page.goto(env["base"])
    launch(page, LIVE_SCRIPT)
    files = page.locator("#changes-files li")
    expect(page.locator("#diff-section")).to_be_visible(timeout=30000)
    expect(files.filter(has_text="new.txt")).to_have_text(re.compile(r"new\.txt \+2 −0"), timeout=30000)
    expect(page.locator("#b-state")).to_have_text("running")
    expect(files.filter(has_text="README.md")).to_contain_text("+1 −0")
    expect(files.filter(has_text="blob.bin")).to_contain_text("binary")
    expect(files.filter(has_text="odd␊name")).to_have_count(1)
    expect(page.locator("#changes-summary")).to_contain_text(re.compile(r"Changed so far \(counted [\d:]+\): 5 files · \+5 −0 · 1 binary"))
    expect(page.locator("#changes-base")).to_have_text(re.compile(r"^Base: main @ [0-9a-f]{12}$"))
    shot(page, "live-changes.png")
    page.set_viewport_size({"width": 390, "height": 844})
    page.locator("#diff-section").scroll_into_view_if_needed()
    no_horizontal_overflow(page)
    shot(page, "live-changes-phone.png")
    page.set_viewport_size({"width": 1280, "height": 860})
    # The final diff: the list jumps to folded files, the binary one summarised.
    expect(page.locator("#b-state")).to_have_text(re.compile("succeeded"), timeout=60000)
    expect(page.locator("#diff .file")).to_have_count(5, timeout=15000)
    expect(page.locator("#changes-summary")).to_have_text("5 files changed · +5 −0 · 1 binary")
    binary = page.locator("#diff .file", has_text="blob.bin")
    expect(binary.locator(".file-stat")).to_have_text(re.compile(r"^binary · 9 B$"))
    expect(binary).to_contain_text("Binary file (9 B): not shown")
    expect(page.locator("#diff")).not_to_contain_text("GIT binary patch")
    expect(page.locator("#diff")).not_to_contain_text("literal")
    page.locator("#changes-files button.file-link", has_text="new.txt").click()
    new_file = page.locator("#diff .file", has_text="new.txt")
    expect(new_file.locator(".l.add .code")).to_have_text(["+one", "+two"])
    expect(new_file.locator(".l.add .ln")).to_have_text(["", "1", "", "2"])  # old, new: numbered as in the new file
    expect(page.locator("#download")).to_be_visible()
    shot(page, "final-diff.png")
    # Split view: the old file beside the new, an appended line beside nothing; remembered.
    page.click("#diff-mode")
    readme = page.locator("#diff .file", has_text="README.md")
    expect(readme.locator(".l.pair")).to_have_count(2)
    expect(readme.locator(".l.pair").first.locator(".half .code")).to_have_text(["# demo", "# demo"])
    expect(readme.locator(".half.add .ln")).to_have_text("2")
    expect(readme.locator(".half.add .code")).to_have_text("more")
    expect(readme.locator(".half.none")).to_have_count(1)
    expect(page.locator("#diff-mode")).to_have_text("Unified view")
    shot(page, "split-diff.png")
    page.reload()
    expect(page.locator("#diff .file", has_text="README.md").locator(".half.add")).to_have_count(1, timeout=15000)
    page.click("#diff-mode")
    expect(page.locator("#diff .file", has_text="README.md").locator(".half")).to_have_count(0)
    assert not os.path.exists("/tmp/burrow-ui-live-pager"), "the agent's git pager ran on the host"


def test_each_turn_has_its_own_diff(env):
    page = env["page"]
    page.goto(env["base"])
    launch(page, "cat init.ndjson; printf 'first\\n' > /workspace/turn1.txt")
    expect(page.locator("#b-state")).to_have_text(re.compile("succeeded"), timeout=60000)
    expect(page.locator("#diff .file")).to_have_count(1, timeout=15000)
    expect(page.locator("#diff-turn")).to_be_hidden()
    page.fill("#reply", "cat /workspace/init.ndjson; printf 'second\\n' > /workspace/turn2.txt")
    page.click("#send")
    expect(page.locator("#b-facts")).to_contain_text("turn 2", timeout=30000)
    expect(page.locator("#b-state")).to_have_text(re.compile("succeeded"), timeout=60000)
    expect(page.locator("#diff .file")).to_have_count(2, timeout=15000)
    expect(page.locator("#diff-turn")).to_be_visible()
    page.select_option("#diff-turn", "2")
    expect(page.locator("#diff .file")).to_have_count(1)
    expect(page.locator("#diff .file .file-name")).to_have_text("turn2.txt")
    expect(page.locator("#download")).to_have_attribute("href", re.compile(r"/turns/2/diff\?download=1$"))
    page.select_option("#diff-turn", "1")
    expect(page.locator("#diff .file .file-name")).to_have_text("turn1.txt")
    page.select_option("#diff-turn", "")
    expect(page.locator("#diff .file")).to_have_count(2)


FOLLOW_SCRIPT = ("cat init.ndjson; i=0; while [ $i -lt 400 ]; do "
                 "printf '{\"type\":\"assistant\",\"message\":{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"row %s\"}]}}\\n' $i; "
                 "i=$((i+1)); sleep 0.03; done")


def last_entry_in_view(page):
    return page.evaluate("""() => { const entries = document.querySelectorAll('#transcript .entry');
      const box = entries[entries.length - 1].getBoundingClientRect(); return box.bottom <= window.innerHeight && box.bottom > 0; }""")


def test_the_page_follows_the_tail_until_scrolled_up(env):
    page = env["page"]
    page.set_viewport_size({"width": 1280, "height": 700})
    page.goto(env["base"])
    launch(page, FOLLOW_SCRIPT)
    expect(page.locator("#transcript .entry.text", has_text=re.compile(r"^row 1\d\d$")).first).to_be_attached(timeout=30000)
    page.wait_for_timeout(300)
    assert last_entry_in_view(page), "the newest entry is on screen while following: " + page.evaluate("""() => { const e = [...document.querySelectorAll('#transcript .entry')].pop();
      return JSON.stringify({text: e.textContent, rect: e.getBoundingClientRect(), y: scrollY, h: innerHeight, doc: document.documentElement.scrollHeight}); }""")
    assert page.locator("#jump").is_hidden()
    page.evaluate("window.scrollTo(0, 0)")
    expect(page.locator("#jump")).to_be_visible(timeout=10000)
    page.wait_for_timeout(500)
    assert page.evaluate("window.scrollY") < 50, "scrolled up, the page stays where the reader is"
    page.click("#jump")
    page.wait_for_timeout(300)
    assert last_entry_in_view(page), "Jump to latest brings the tail back"
    expect(page.locator("#b-state")).to_have_text(re.compile("succeeded"), timeout=60000)
    page.set_viewport_size({"width": 1280, "height": 860})


TESTS = [test_streamed_text_shows_before_the_message_and_gives_way_to_it, test_live_changes_while_running_then_the_final_diff,
         test_each_turn_has_its_own_diff, test_the_page_follows_the_tail_until_scrolled_up]


def run_all(browser, tests, run):
    """Runs `tests` against a Burrow of their own whose agent (and follow-up) is `sh -c TASK`."""
    return run_with_own_burrow(browser, tests, run, "burrow-browser-live-", agent_command=["sh", "-c"], files=FILES,
                               config_extra={"resumeCommand": ["sh", "-c"]})


if __name__ == "__main__":
    import sys, traceback
    from playwright.sync_api import sync_playwright
    only = sys.argv[1:]
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
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"])
        passed, failed = run_all(browser, [t for t in TESTS if not only or any(o in t.__name__ for o in only)], run)
        browser.close()
    print(f"browser (live): {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
