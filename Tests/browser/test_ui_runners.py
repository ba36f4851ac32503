"""Browser test of the runners panel and the runner choice (issue: remote runners). A second runner
is configured at a closed port, so the page must show it as unreachable with OpenSSH's reason, next
to the local one with its load and labels."""
import os, subprocess, tempfile
from playwright.sync_api import expect
from ui_support import start_burrow, stop_server


def test_runners_with_their_state_load_and_labels(env):
    work = tempfile.mkdtemp(prefix="burrow-ui-runners-")
    key = os.path.join(work, "far_ed25519")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
    host_key = open(key + ".pub").read().split(" ")[0:2]
    far = {"name": "far", "ssh": "nobody@127.0.0.1:1", "identityFile": key, "hostKey": " ".join(host_key),
           "labels": ["gpu", "big-disk"], "maxConcurrent": 3, "reconnectSeconds": 5}
    process, url = start_burrow(work, config_extra={"runners": [{"name": "local", "maxConcurrent": 2}, far]})
    try:
        page = env["browser"].new_page()
        page.goto(url)
        panel = page.locator("#runners-panel")
        expect(panel).to_be_visible(timeout=10000)
        expect(page.locator("#runners-summary")).to_contain_text("Runners: 2")
        panel.locator("summary").click()
        rows = page.locator("#runners-list li")
        expect(rows).to_have_count(2)
        local = rows.filter(has_text="local")
        expect(local).to_contain_text("this machine")
        expect(local).to_contain_text("0/2 running")
        expect(local).to_contain_text("ready")
        remote = rows.filter(has_text="far")
        expect(remote).to_contain_text("over SSH")
        expect(remote).to_contain_text("0/3 running")
        expect(remote).to_contain_text("big-disk, gpu")
        expect(remote).to_contain_text("unreachable", timeout=30000)
        # The launch form offers the choice, Burrow picking by default.
        expect(page.locator("#runner-row")).to_be_visible()
        options = page.locator("#runner option")
        expect(options).to_have_count(3)
        expect(options.nth(0)).to_have_text("Burrow picks")
        page.close()
    finally:
        stop_server(process, url)


TESTS = [test_runners_with_their_state_load_and_labels]
