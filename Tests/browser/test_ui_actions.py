"""Browser tests of the list as a tool and the work's way home: push the branch from the host (to a
local bare "remote" reached only through the host's git config), delete it, the base and uncommitted
changes at launch, rename, run again, the archive of torn-down burrows."""
import os, re, subprocess, tempfile
from playwright.sync_api import expect
from ui_support import launch, shot


def git(repo, *args):
    return subprocess.run(["git", "-C", repo, "-c", "user.name=t", "-c", "user.email=t@t", *args],
                          check=True, capture_output=True, text=True).stdout.strip()


def record(page, env, burrow):
    return page.request.get(env["base"] + f"api/burrows/{burrow}").json()


def finished(page, burrow):
    expect(page.locator("#b-state")).to_have_text(re.compile("^(succeeded|failed|stopped)$"), timeout=60000)
    expect(page).to_have_url(re.compile(burrow))


def test_push_and_delete_the_branch_from_the_page(env):
    page = env["page"]
    repo = os.path.join(env["work"], "repo")
    remote = os.path.join(tempfile.mkdtemp(prefix="burrow-remote-"), "remote.git")
    subprocess.run(["git", "init", "-q", "--bare", remote], check=True)
    git(repo, "remote", "add", "origin", "https://git.example.invalid/demo.git")
    git(repo, "config", f"url.{remote}.insteadOf", "https://git.example.invalid/demo.git")
    try:
        page.goto(env["base"])
        burrow = launch(page, "Push me SLEEP=1")
        expect(page.locator("#b-state")).to_have_text("succeeded", timeout=60000)
        section = page.locator("#branch-section")
        expect(section).to_be_visible(timeout=10000)
        expect(page.locator("#push-target")).to_contain_text(f"burrow/{burrow} to origin ({remote})")
        expect(page.locator("#pull-request")).to_be_hidden()            # no gh on this host: said why
        expect(page.locator("#push-status")).to_contain_text("gh")
        page.click("#push")
        expect(page.locator("#push-status")).to_contain_text(f"to origin as burrow/{burrow}", timeout=30000)
        head = record(page, env, burrow)["resultHead"]
        assert git(remote, "rev-parse", f"refs/heads/burrow/{burrow}") == head, "the result is on the remote"
        expect(page.locator("#push")).to_have_text("Push again")
        section.scroll_into_view_if_needed()
        shot(page, "pushed.png")

        # With a signed-in gh on the host (faked at the page's API boundary: the Swift tests run a gh
        # stand-in), the button appears once pushed and its answer becomes a link, only if https.
        def gh_signed_in(route):
            if route.request.method != "GET":
                return route.fallback()
            answer = page.request.get(route.request.url).json()
            answer["pullRequests"] = {"available": True}
            try:
                route.fulfill(json=answer)
            except Exception:  # the page reloaded meanwhile: its request is gone
                pass
        opened = dict(record(page, env, burrow))
        def pull_request(route):
            opened["pushed"] = dict(opened["pushed"], pullRequest=address[0])
            route.fulfill(json=opened)
        address = ["javascript:window.__pr=1"]
        page.route("**/api/burrows/*/push", gh_signed_in)
        page.route("**/api/burrows/*/pull-request", pull_request)
        page.reload()
        expect(page.locator("#pull-request")).to_be_visible(timeout=15000)
        page.click("#pull-request")
        expect(page.locator("#push-status a")).to_have_count(0)                  # not https: never a link
        address[0] = "https://github.com/example/demo/pull/7"
        opened["turn"] = opened.get("turn", 1)
        page.reload()
        expect(page.locator("#pull-request")).to_be_visible(timeout=15000)
        page.click("#pull-request")
        link = page.locator("#push-status a")
        expect(link).to_have_attribute("href", "https://github.com/example/demo/pull/7")
        expect(page.locator("#pull-request")).to_be_hidden()
        page.unroute("**/api/burrows/*/push")
        page.unroute("**/api/burrows/*/pull-request")
        page.reload()
        expect(page.locator("#push-target")).to_contain_text("to origin", timeout=15000)
        page.once("dialog", lambda dialog: dialog.accept())
        page.click("#delete-branch")
        expect(page.locator("#push-status")).to_contain_text("deleted", timeout=10000)
        expect(page.locator("#branch")).to_contain_text(f"burrow/{burrow} deleted", timeout=10000)
        expect(page.locator("#delete-branch")).to_be_hidden()
        assert git(repo, "branch", "--list", f"burrow/{burrow}") == ""
        expect(page.locator("#diff .file")).not_to_have_count(0)          # the patch stays
    finally:
        git(repo, "remote", "remove", "origin")
        git(repo, "config", "--remove-section", f"url.{remote}")


def test_launch_from_a_chosen_base_with_uncommitted_changes(env):
    page = env["page"]
    repo = os.path.join(env["work"], "repo")
    main = git(repo, "rev-parse", "HEAD")
    tree = git(repo, "rev-parse", "HEAD^{tree}")
    feature = git(repo, "commit-tree", tree, "-p", main, "-m", "feature work")   # a branch the user has, not checked out
    git(repo, "update-ref", "refs/heads/feature", feature)
    readme = os.path.join(repo, "README.md")
    original = open(readme).read()
    try:
        page.goto(env["base"])
        expect(page.locator("#repo")).to_have_value("demo", timeout=30000)
        page.click("#start-from summary")
        page.fill("#base", "--upload-pack=touch /tmp/x")
        page.fill("#task", "never runs")
        page.click("#launch")
        expect(page.locator("#launch-error")).to_contain_text("is not a branch, tag or commit")
        page.fill("#base", "feature")
        burrow = launch(page, "Start on feature SLEEP=1")
        finished(page, burrow)
        expect(page.locator("#b-facts")).to_contain_text(f"base feature @ {feature[:12]}")
        assert record(page, env, burrow)["baseCommit"] == feature

        open(readme, "w").write(original + "an uncommitted line\n")
        page.goto(env["base"])
        page.click("#start-from summary")
        expect(page.locator("#base")).to_have_value("")
        expect(page.locator("#uncommitted-row")).to_be_visible()
        page.check("#uncommitted")
        page.fill("#task", "With my changes SLEEP=1")
        shot(page, "launch-start-from.png")
        burrow = launch(page, "With my changes SLEEP=1")
        finished(page, burrow)
        expect(page.locator("#b-facts")).to_contain_text("+ your uncommitted changes (1 file)")
        saved = record(page, env, burrow)
        assert saved["uncommitted"]["against"] == main and saved["baseCommit"] != main, saved
        assert open(readme).read() == original + "an uncommitted line\n", "the user's tree is untouched"
        assert git(repo, "rev-parse", "HEAD") == main
    finally:
        open(readme, "w").write(original)
        git(repo, "update-ref", "-d", "refs/heads/feature")


def test_rename_run_again_and_the_archive(env):
    page = env["page"]
    page.goto(env["base"])
    burrow = launch(page, "Archive me SLEEP=1")
    finished(page, burrow)
    page.once("dialog", lambda dialog: dialog.accept("A name <img src=x onerror=window.__xss=1>"))
    page.click("#more-actions summary")
    page.click("#rename")
    expect(page.locator("#burrow-title")).to_have_text("A name <img src=x onerror=window.__xss=1>")
    expect(page.locator("#b-facts")).to_contain_text("demo")
    item = page.locator(f"#burrows a[data-id='{burrow}']")
    expect(item.locator(".taskline")).to_have_text("A name <img src=x onerror=window.__xss=1>")
    assert page.locator("#burrows img, #burrow-title img").count() == 0 and page.evaluate("window.__xss") is None
    page.fill("#filter-text", "a name")
    expect(page.locator("#burrows li")).to_have_count(1)
    page.fill("#filter-text", "")
    page.once("dialog", lambda dialog: dialog.accept("x" * 121))
    page.click("#more-actions summary")
    page.click("#rename")
    expect(page.locator("#b-error")).to_contain_text("over 120 characters")

    page.click("#more-actions summary")
    page.click("#rerun")
    page.wait_for_function("(id) => location.hash.startsWith('#/burrows/') && !location.hash.endsWith(id)", arg=burrow)
    again = page.evaluate("location.hash").rsplit("/", 1)[1]
    assert record(page, env, again)["task"] == "Archive me SLEEP=1"
    finished(page, again)

    page.goto(env["base"] + f"#/burrows/{burrow}")
    expect(page.locator("#b-state")).to_have_text("succeeded", timeout=15000)
    page.click("#more-actions summary")
    expect(page.locator("#teardown-branch")).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#teardown-branch")
    expect(page.locator("#b-facts")).to_contain_text("torn down (archived)", timeout=15000)
    expect(page.locator("#branch")).to_contain_text("deleted")
    assert git(os.path.join(env["work"], "repo"), "branch", "--list", f"burrow/{burrow}") == ""
    expect(page.locator(f"#burrows a[data-id='{burrow}']")).to_have_count(0)        # out of the everyday list
    expect(page.locator("#filter-state option[value=torn]")).to_have_text(re.compile(r"^Archived \(torn down\): \d+$"))
    page.select_option("#filter-state", "torn")
    archived = page.locator(f"#burrows a[data-id='{burrow}']")
    expect(archived).to_have_count(1)
    expect(archived.locator(".archived")).to_have_text("archived")
    page.reload()
    expect(page.locator("#transcript")).to_contain_text("Finished", timeout=15000)  # its transcript stays readable
    expect(page.locator("#diff .file")).not_to_have_count(0)                         # and its patch
    expect(page.locator("#teardown")).to_be_disabled()
    page.select_option("#filter-state", "")


def test_the_audit_downloads_from_the_page(env):
    page = env["page"]
    page.goto(env["base"])
    burrow = launch(page, "Audit me SLEEP=1")
    finished(page, burrow)
    page.click("#more-actions summary")
    link = page.locator("#audit-link")
    expect(link).to_have_attribute("href", f"/api/burrows/{burrow}/audit?download=1")
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == f"burrow-{burrow}-audit.ndjson"
    answer = page.request.get(env["base"] + f"api/burrows/{burrow}/audit")
    assert answer.status == 200 and answer.headers["content-type"] == "application/x-ndjson", (answer.status, answer.headers)
    assert page.request.get(env["base"] + "api/burrows/nosuchburrow/audit").status == 404


TESTS = [test_push_and_delete_the_branch_from_the_page, test_launch_from_a_chosen_base_with_uncommitted_changes,
         test_rename_run_again_and_the_archive, test_the_audit_downloads_from_the_page]
