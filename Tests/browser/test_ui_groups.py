"""Browser tests of best of N: a group of three attempts (`sh -c` scripts that differ) whose repo check
passes in exactly one; the list shows the group as one row, the group page shows 1 passed / 2 failed,
two diffs side by side, and Pick. Also the launch form's Attempts field.
    python3 Tests/browser/test_ui_groups.py"""
import json, os, subprocess
from playwright.sync_api import expect
from ui_support import run_with_own_burrow, shot

SESSION = """echo '{"type":"system","subtype":"init","session_id":"s-ui-group"}'; """
CHECK = 'grep -qx good /workspace/answer.txt || { echo "answer: $(cat /workspace/answer.txt)"; exit 1; }'


def test_group_page_shows_checks_diffs_side_by_side_and_picks(env):
    page = env["page"]
    page.goto(env["base"])
    expect(page.locator("#repo")).to_have_value("demo", timeout=30000)
    scripts = ["echo bad > /workspace/answer.txt", "echo good > /workspace/answer.txt", "echo worse > /workspace/answer.txt"]
    body = {"repo": "demo", "task": "answer", "attempts": [{"agentCommand": ["sh", "-c", SESSION + s]} for s in scripts]}
    answer = page.request.post(env["base"] + "api/burrows", data=json.dumps(body), headers={"Content-Type": "application/json"})
    assert answer.status == 201, answer.text()
    group = answer.json()
    ids = [a["id"] for a in group["attempts"]]

    # The list: one row for the group, opening into its three attempts.
    row = page.locator(f"#burrows li.group-row[data-group='{group['id']}']")
    expect(row).to_have_count(1, timeout=20000)
    expect(row.locator("summary .meta")).to_contain_text("1 passed / 2 failed", timeout=90000)
    row.locator("summary").click(position={"x": 2, "y": 2})
    expect(row.locator("ul.attempts a[data-id]")).to_have_count(3)
    expect(row.locator(f"ul.attempts a[data-id='{ids[1]}'] .check")).to_contain_text("check passed")

    # An attempt's own page: the check in its facts and as its own transcript entry.
    page.goto(env["base"] + f"#/burrows/{ids[0]}")
    expect(page.locator("#b-facts")).to_contain_text("check failed (exit 1)", timeout=20000)
    expect(page.locator("#transcript .check-entry")).to_contain_text("answer: bad")

    page.goto(env["base"] + f"#/groups/{group['id']}")
    expect(page.locator("#group")).to_be_visible()
    expect(page.locator("#group-summary")).to_contain_text("3 attempts · 1 passed / 2 failed")
    rows = page.locator("#group-attempts tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0).locator(".check")).to_contain_text("check failed (exit 1)")
    expect(rows.nth(1).locator(".check")).to_contain_text("check passed")
    expect(rows.nth(2).locator(".check")).to_contain_text("check failed")
    expect(rows.nth(0)).to_contain_text("1 files +1")

    # Side by side: tick the first two.
    rows.nth(0).locator("input[type=checkbox]").check()
    rows.nth(1).locator("input[type=checkbox]").check()
    columns = page.locator("#group-compare .group-diff")
    expect(columns).to_have_count(2)
    expect(columns.nth(0).locator(".line.add", has_text="+bad")).to_have_count(1)
    expect(columns.nth(1).locator(".line.add", has_text="+good")).to_have_count(1)
    box0, box1 = columns.nth(0).bounding_box(), columns.nth(1).bounding_box()
    assert box1["x"] > box0["x"] + box0["width"] - 1 and abs(box1["y"] - box0["y"]) < 2, f"not side by side: {box0} {box1}"
    shot(page, "group.png", full_page=True)

    # Pick the passing one; the others are torn down, its branch stays.
    rows.nth(1).locator("button", has_text="Pick").click()
    expect(page.locator("#group-status")).to_contain_text("Picked attempt #2", timeout=30000)
    expect(page.locator("#group-status")).to_contain_text("Tore down 2 other attempts")
    expect(rows.nth(1).locator("button")).to_have_text("Picked")
    expect(rows.nth(0)).to_contain_text("torn down")
    repo = os.path.join(env["work"], "repo")
    branches = subprocess.run(["git", "-C", repo, "branch", "--list", "burrow/*"], capture_output=True, text=True).stdout
    assert f"burrow/{ids[1]}" in branches and f"burrow/{ids[0]}" not in branches and f"burrow/{ids[2]}" not in branches, branches


def test_launch_form_asks_for_attempts(env):
    page = env["page"]
    page.goto(env["base"])
    expect(page.locator("#repo")).to_have_value("demo", timeout=30000)
    page.fill("#attempts", "2")
    page.fill("#task", SESSION + "echo good > /workspace/answer.txt")
    page.click("#launch")
    page.wait_for_function("/^#\\/groups\\/g[0-9a-f]+$/.test(location.hash)", timeout=20000)
    expect(page.locator("#group-attempts tr")).to_have_count(2)
    expect(page.locator("#group-summary")).to_contain_text("2 passed / 0 failed", timeout=90000)
    # Nine: the form itself refuses it (the API would answer 400, tested in AttemptGroupTests).
    page.goto(env["base"] + "#/")
    page.fill("#attempts", "9")
    page.fill("#task", "too many")
    page.click("#launch")
    assert page.eval_on_selector("#attempts", "e => e.validity.rangeOverflow"), "9 attempts is out of range"
    assert page.evaluate("location.hash") == "#/", "nothing launched"
    page.fill("#attempts", "1")


TESTS = [test_group_page_shows_checks_diffs_side_by_side_and_picks, test_launch_form_asks_for_attempts]


def run_all(browser, tests, run):
    """Runs `tests` against a Burrow of their own whose agent is `sh -c TASK` and whose repo has a check."""
    config = lambda work: {"resumeCommand": ["sh", "-c"], "repos": [{"name": "demo", "path": os.path.join(work, "repo"), "check": CHECK}]}
    return run_with_own_burrow(browser, tests, run, "burrow-browser-groups-", agent_command=["sh", "-c"], config_extra=config)


if __name__ == "__main__":
    import sys
    from playwright.sync_api import sync_playwright
    from test_ui import run
    only = sys.argv[1:]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"])
        passed, failed = run_all(browser, [t for t in TESTS if not only or any(o in t.__name__ for o in only)], run)
        browser.close()
    print(f"browser (groups): {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
