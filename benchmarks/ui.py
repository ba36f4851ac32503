"""Browser timing (issue: UI). Not part of CI. Run as root:
    eval "$(scripts/test-env.sh)"; swift build -c release; python3 benchmarks/ui.py
1. History: a finished burrow with 50,000 agent events; time from opening its page to the last
   event on screen, and the longest task on the main thread meanwhile.
2. Streaming: a burrow printing about 500 events/s while the page is open; long tasks (> 50 ms, as
   Chromium's Long Tasks API reports them), long animation frames that ran the page's own script (the
   Long Animation Frames API: a long task with none is the machine, not the page) and the worst gap
   between animation frames. The load average is printed: the machine is shared."""
import json, os, re, subprocess, sys, tempfile, time, urllib.request
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "browser"))
from ui_support import start_burrow, launch, stop_server  # noqa: E402
from playwright.sync_api import sync_playwright, expect  # noqa: E402

OBSERVE = """() => {
  window.__long = []; window.__gaps = []; let last = performance.now();
  new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__long.push(e.duration); })
    .observe({ type: 'longtask', buffered: true });
  window.__scripted = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const script = e.scripts.reduce((sum, s) => sum + s.duration, 0);
      if (e.duration > 50 && script > 0) window.__scripted.push({ duration: e.duration, script, forced: e.scripts.reduce((sum, s) => sum + s.forcedStyleAndLayoutDuration, 0) });
    }
  }).observe({ type: 'long-animation-frame', buffered: true });
  const frame = (now) => { window.__gaps.push(now - last); last = now; requestAnimationFrame(frame); };
  requestAnimationFrame(frame);
}"""


def wait_finished(page, timeout=600000):
    expect(page.locator("#b-state")).to_have_text(re.compile("succeeded|failed"), timeout=timeout)


def main():
    os.environ.setdefault("BURROW_BINARY", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".build", "release", "burrow"))
    work = tempfile.mkdtemp(prefix="burrow-ui-bench-")
    os.chmod(work, 0o711)  # Podman (another user) reads the seccomp profile under the state dir
    process, url = start_burrow(work)
    base = url.split("/?")[0] + "/"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"])
            page = browser.new_context(viewport={"width": 1280, "height": 860}).new_page()
            page.goto(url)
            history = launch(page, "history LINES=50000")
            wait_finished(page)
            count = len(open(os.path.join(work, "state", "burrows", history, "events.ndjson")).read().splitlines())
            # Open the finished burrow fresh and time its history.
            page.goto(base)
            page.evaluate(OBSERVE)
            started = time.monotonic()
            page.evaluate(f"location.hash = '#/burrows/{history}'")
            expect(page.locator("#transcript .entry.result")).to_have_count(1, timeout=60000)
            expect(page.locator("#transcript .entry.text", has_text=re.compile("^line 50000$"))).to_have_count(1)
            history_ms = (time.monotonic() - started) * 1000
            history_long = max(page.evaluate("window.__long") or [0])
            nodes = page.evaluate("document.querySelectorAll('#transcript .entry').length")
            # Stream about 500 events/s with the page open.
            page.goto(base)
            page.evaluate(OBSERVE)
            streaming = launch(page, "stream LINES=10000 RATE=500")
            started = time.monotonic()
            wait_finished(page)
            stream_s = time.monotonic() - started
            long_tasks = page.evaluate("window.__long")
            scripted = page.evaluate("window.__scripted")
            gaps = sorted(page.evaluate("window.__gaps"))
            stream_count = len(open(os.path.join(work, "state", "burrows", streaming, "events.ndjson")).read().splitlines())
            browser.close()
    finally:
        stop_server(process, url)  # tears its burrows down: nothing left in the shared Podman
    print(f"| measure ({time.strftime('%Y-%m-%d %H:%M')} UTC, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at the end, Chromium headless) | result | target |")
    print("|---|---|---|")
    print(f"| open a finished burrow with {count} events → last event on screen | {history_ms:.0f} ms | < 1,500 ms |")
    print(f"| longest main-thread task while opening it | {history_long:.0f} ms | — |")
    print(f"| transcript DOM entries kept | {nodes} | capped |")
    print(f"| streaming {stream_count} events over {stream_s:.1f} s (~{stream_count / max(stream_s, 0.001):.0f}/s): long tasks > 50 ms | {len(long_tasks)} (longest {max(long_tasks or [0]):.0f} ms) | none > 100 ms |")
    print(f"| … long animation frames (> 50 ms) that ran the page's script | {len(scripted)} (longest {max([f['duration'] for f in scripted] or [0]):.0f} ms, of it forced layout {max([f['forced'] for f in scripted] or [0]):.0f} ms) | 0 |")
    if gaps:
        print(f"| frame gap p50 / p99 / max while streaming | {gaps[len(gaps) // 2]:.1f} / {gaps[int(len(gaps) * 0.99)]:.1f} / {gaps[-1]:.1f} ms | — |")


if __name__ == "__main__":
    main()
