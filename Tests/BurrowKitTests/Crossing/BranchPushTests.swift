@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import Foundation
import XCTest

/// The work's way out from the host: the branch pushed with the user's own git configuration, a
/// pull request through the host's gh, the branch deleted; the agent as the attacker throughout.
final class BranchPushTests: XCTestCase {
    func git(_ arguments: [String]) async throws -> String {
        try await Subprocess.check(["git"] + arguments).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    struct Info: Decodable {
        let target: PushTarget?
        let canPush: Bool
        let reason: String?
        let pullRequests: GitHubCLI.Status
    }

    func info(_ app: BurrowTestApp, _ id: String) async throws -> Info {
        let response = try await call(app, "GET", "/api/burrows/\(id)/push")
        XCTAssertEqual(response.status, 200, response.text)
        return try JSONDecoder().decode(Info.self, from: Data(response.body))
    }

    func call(_ app: BurrowTestApp, _ method: String, _ path: String, _ body: String? = nil) async throws -> RawClient.Response {
        try await app.server.request(method, path, headers: body == nil ? [:] : ["Content-Type": "application/json"], body: body)
    }

    /// The remote is a bare repository reached only through the user's own `insteadOf` rule: the push
    /// arrives only if the host's configuration was used.
    func makeRemote(_ attack: AttackBurrow) async throws -> String {
        let remote = try TemporaryDirectory.make("burrow-remote") + "/remote.git"
        _ = try await git(["init", "--quiet", "--bare", remote])
        let repo = attack.app.repoPath
        _ = try await git(["-C", repo, "remote", "add", "origin", "https://git.example.invalid/demo.git"])
        _ = try await git(["-C", repo, "config", "url.\(remote).insteadOf", "https://git.example.invalid/demo.git"])
        // A hook of the user's own would fire on their pushes; Burrow's push runs none.
        let hook = repo + "/.git/hooks/pre-push"
        try FileSystem.writeAtomically(Array("#!/bin/sh\ntouch \(attack.marker)-user-hook\n".utf8), to: hook, mode: 0o755)
        return remote
    }

    func testThePushGoesToTheUsersRemoteAndNothingTheAgentWroteIsAnArgument() async throws {
        let attack = try await AttackBurrow.make(self)
        let remote = try await makeRemote(attack)
        let message = "--upload-pack=touch MARKER-1\n\n$(touch MARKER-2) `touch MARKER-3`; --exec=touch MARKER-4"
        let record = try await attack.run("""
        cd /workspace && G='git -c user.name=a -c user.email=a@a' && echo work > WORK.txt && git add WORK.txt
        $G commit -q -m '\(message)'
        git update-ref 'refs/heads/--receive-pack=touch MARKER-5' HEAD; git tag -- '-oProxyCommand=touch MARKER-6' HEAD
        git config remote.origin.url 'ext::sh -c touch% MARKER-7'; git config core.hooksPath .githooks
        mkdir -p .githooks && printf '#!/bin/sh\\ntouch MARKER-8\\n' > .githooks/pre-push && chmod +x .githooks/pre-push
        git add .githooks && $G commit -q -m hooks; git log --format=%s
        """)
        XCTAssertEqual(record.state, .succeeded, record.error ?? "")
        XCTAssertEqual(record.branch, "burrow/\(record.id)")
        let head = try XCTUnwrap(record.resultHead)

        let target = try await info(attack.app, record.id)
        XCTAssertTrue(target.canPush, target.reason ?? "")
        XCTAssertEqual(target.target, PushTarget(remote: "origin", url: remote, branch: "burrow/\(record.id)"), "the page says where the branch goes")

        let pushed = try await call(attack.app, "POST", "/api/burrows/\(record.id)/push")
        XCTAssertEqual(pushed.status, 200, pushed.text)
        let after = try await attack.app.record(record.id)
        XCTAssertEqual(after.pushed?.commit, head)
        XCTAssertEqual(after.pushed?.branch, "burrow/\(record.id)")
        let remoteHead = try await git(["-C", remote, "rev-parse", "refs/heads/burrow/\(record.id)"])
        XCTAssertEqual(remoteHead, head, "the result arrived on the remote")
        let messages = try await git(["-C", remote, "log", "--format=%B", "refs/heads/burrow/\(record.id)"])
        XCTAssertTrue(messages.contains(message.replacingOccurrences(of: "MARKER", with: attack.marker)), "the message arrived as data: \(messages)")
        let remoteRefs = try await git(["-C", remote, "for-each-ref", "--format=%(refname)"])
        XCTAssertEqual(remoteRefs, "refs/heads/burrow/\(record.id)",
                       "only Burrow's branch: none of the agent's refs or tags")
        XCTAssertEqual(attack.escapes(), [], "nothing the agent planted ran, and no hook")

        // Deleting the branch: refused while it points elsewhere (commits of the user's), done after.
        let branch = "burrow/\(record.id)"
        _ = try await git(["-C", attack.app.repoPath, "branch", "-f", branch, "main"])
        let moved = try await call(attack.app, "DELETE", "/api/burrows/\(record.id)/branch")
        XCTAssertEqual(moved.status, 409, moved.text)
        let movedBranch = try await git(["-C", attack.app.repoPath, "branch", "--list", branch])
        XCTAssertEqual(movedBranch, branch, "a moved branch stays")
        _ = try await git(["-C", attack.app.repoPath, "branch", "-f", branch, head])
        let deleted = try await call(attack.app, "DELETE", "/api/burrows/\(record.id)/branch")
        XCTAssertEqual(deleted.status, 200, deleted.text)
        let deletedBranch = try await git(["-C", attack.app.repoPath, "branch", "--list", branch])
        XCTAssertEqual(deletedBranch, "")
        let gone = try await attack.app.record(record.id)
        XCTAssertNil(gone.branch)
        XCTAssertEqual(gone.deletedBranch, branch)
        XCTAssertTrue(try attack.patch(gone).contains("+work"), "the patch stays")

        // Pushed again after the branch is gone: the commits come from Burrow's result repository.
        _ = try await git(["-C", remote, "update-ref", "-d", "refs/heads/\(branch)"])
        let again = try await call(attack.app, "POST", "/api/burrows/\(record.id)/push")
        XCTAssertEqual(again.status, 200, again.text)
        let pushedAgain = try await git(["-C", remote, "rev-parse", "refs/heads/\(branch)"])
        XCTAssertEqual(pushedAgain, head)
    }

    func testARefusedPushSaysWhyAndNoBranchMeansNothingToPush() async throws {
        let attack = try await AttackBurrow.make(self)
        let nothing = try await attack.run("true")
        XCTAssertEqual(nothing.state, .succeeded, nothing.error ?? "")
        XCTAssertNil(nothing.branch, "no changes, no branch")
        let response = try await call(attack.app, "POST", "/api/burrows/\(nothing.id)/push")
        XCTAssertEqual(response.status, 409, response.text)
        XCTAssertTrue(response.text.contains("changed nothing"), response.text)
        let noRemote = try await info(attack.app, nothing.id)
        XCTAssertFalse(noRemote.canPush)
        XCTAssertTrue(noRemote.reason?.contains("has no remote to push to") == true, noRemote.reason ?? "")

        let running = try await attack.app.launch("cd /workspace && echo x > X.txt && sleep 30")
        try await withTimeout(60) {
            while try await attack.app.record(running.id).state != .running { try await Task.sleep(for: .milliseconds(100)) }
        }
        let busy = try await call(attack.app, "POST", "/api/burrows/\(running.id)/push")
        XCTAssertEqual(busy.status, 409, "no push while a turn runs: \(busy.text)")
        XCTAssertTrue(busy.text.contains("push once its turn ends"), busy.text)
        _ = try await attack.app.manager.stop(running.id)
        let record = try await attack.app.finished(running.id, within: 60)
        XCTAssertNotNil(record.branch, "the stopped burrow's partial work came home: \(record.error ?? "")")
        _ = try await git(["-C", attack.app.repoPath, "remote", "add", "origin", "/nonexistent/remote.git"])
        let refused = try await call(attack.app, "POST", "/api/burrows/\(record.id)/push")
        XCTAssertEqual(refused.status, 502, refused.text)
        XCTAssertTrue(refused.text.contains("git push failed") && refused.text.contains("nonexistent"), refused.text)
        let refusedPush = try await attack.app.record(record.id).pushed
        XCTAssertNil(refusedPush)

        // Tear down with the branch: the branch goes first, then the containers.
        let teardown = try await call(attack.app, "DELETE", "/api/burrows/\(record.id)?deleteBranch=true")
        XCTAssertEqual(teardown.status, 204, teardown.text)
        let branchesLeft = try await git(["-C", attack.app.repoPath, "branch", "--list", "burrow/*"])
        XCTAssertEqual(branchesLeft, "")
        let torn = try await attack.app.record(record.id)
        XCTAssertTrue(torn.tornDown)
        XCTAssertEqual(torn.deletedBranch, "burrow/\(record.id)")
    }

    func testAPullRequestGoesThroughTheHostsGhWithEveryValueOneWord() async throws {
        let attack = try await AttackBurrow.make(self)
        let folder = try TemporaryDirectory.make("burrow-gh")
        let gh = folder + "/gh"
        try FileSystem.writeAtomically(Array("""
        #!/bin/sh
        [ "$1" = auth ] && exit 0
        pwd > \(folder)/cwd; for a in "$@"; do printf '%s\\0' "$a"; done > \(folder)/args
        echo https://github.com/example/demo/pull/7
        """.utf8), to: gh, mode: 0o755)
        await attack.app.manager.useGitHubCLI(GitHubCLI(program: folder + "/missing"))
        let record = try await attack.run("cd /workspace && echo pr > PR.txt")
        XCTAssertEqual(record.state, .succeeded, record.error ?? "")
        let absent = try await info(attack.app, record.id).pullRequests
        XCTAssertFalse(absent.available)
        XCTAssertTrue(absent.reason?.contains("not installed") == true, absent.reason ?? "")
        let signedOut = folder + "/gh-signed-out"
        try FileSystem.writeAtomically(Array("#!/bin/sh\necho 'You are not logged into any GitHub hosts' >&2; exit 1\n".utf8), to: signedOut, mode: 0o755)
        await attack.app.manager.useGitHubCLI(GitHubCLI(program: signedOut))
        let notSignedIn = try await info(attack.app, record.id).pullRequests
        XCTAssertFalse(notSignedIn.available)
        XCTAssertTrue(notSignedIn.reason?.contains("gh auth login") == true, notSignedIn.reason ?? "")
        await attack.app.manager.useGitHubCLI(GitHubCLI(program: gh))
        let early = try await call(attack.app, "POST", "/api/burrows/\(record.id)/pull-request")
        XCTAssertEqual(early.status, 409, "a pull request needs the pushed branch: \(early.text)")

        let remote = try await makeRemote(attack)
        let ghAvailable = try await info(attack.app, record.id).pullRequests.available
        XCTAssertTrue(ghAvailable)
        let pushStatus = try await call(attack.app, "POST", "/api/burrows/\(record.id)/push").status
        XCTAssertEqual(pushStatus, 200)
        let remoteBranchMissing = try await git(["-C", remote, "rev-parse", "refs/heads/burrow/\(record.id)"]).isEmpty
        XCTAssertFalse(remoteBranchMissing)
        let renamed = try await call(attack.app, "POST", "/api/burrows/\(record.id)/title", #"{"title": "--repo=evil/evil $(touch MARKER)"}"#)
        XCTAssertEqual(renamed.status, 200, renamed.text)
        let opened = try await call(attack.app, "POST", "/api/burrows/\(record.id)/pull-request")
        XCTAssertEqual(opened.status, 200, opened.text)
        let pullRequest = try await attack.app.record(record.id).pushed?.pullRequest
        XCTAssertEqual(pullRequest, "https://github.com/example/demo/pull/7")
        let args = String(decoding: try FileSystem.readFile(folder + "/args"), as: UTF8.self).split(separator: "\0").map(String.init)
        XCTAssertEqual(Array(args.prefix(3)), ["pr", "create", "--head=burrow/\(record.id)"])
        XCTAssertTrue(args.contains("--title=--repo=evil/evil $(touch MARKER)"), "\(args)")
        XCTAssertTrue(args.contains("--base=main"), "\(args)")
        XCTAssertEqual(String(decoding: try FileSystem.readFile(folder + "/cwd"), as: UTF8.self).trimmingCharacters(in: .newlines),
                       FileSystem.realPath(attack.app.repoPath))
        let twice = try await call(attack.app, "POST", "/api/burrows/\(record.id)/pull-request")
        XCTAssertEqual(twice.status, 409, twice.text)
    }

    func testAURLReposBranchGoesToItsURL() async throws {
        let source = try await BurrowTestApp.makeRepo()
        let attack = try await AttackBurrow.make(self) { $0.repos = [RepoConfig(name: "demo", url: "file://" + source)] }
        let record = try await attack.run("cd /workspace && echo from-url > URL.txt")
        XCTAssertEqual(record.state, .succeeded, record.error ?? "")
        XCTAssertNil(record.branch, "a url repo gets no local branch")
        let target = try await info(attack.app, record.id)
        XCTAssertEqual(target.target, PushTarget(remote: "file://" + source, url: "file://" + source, branch: "burrow/\(record.id)"))
        let pushed = try await call(attack.app, "POST", "/api/burrows/\(record.id)/push")
        XCTAssertEqual(pushed.status, 200, pushed.text)
        let arrived = try await git(["-C", source, "rev-parse", "refs/heads/burrow/\(record.id)"])
        XCTAssertEqual(arrived, record.resultHead)
        let file = try await git(["-C", source, "show", "burrow/\(record.id):URL.txt"])
        XCTAssertEqual(file, "from-url")
        let deleted = try await call(attack.app, "DELETE", "/api/burrows/\(record.id)/branch")
        XCTAssertEqual(deleted.status, 409, "a url repo has no local branch to delete: \(deleted.text)")
    }

    func testTitlesAndRedaction() throws {
        XCTAssertNil(try BurrowManager.checkTitle("   "))
        XCTAssertEqual(try BurrowManager.checkTitle("  Fix the parser  "), "Fix the parser")
        XCTAssertEqual(try BurrowManager.checkTitle(String(repeating: "é", count: 120))?.count, 120)
        for bad in [String(repeating: "x", count: 121), "two\nlines", "tab\there", "bidi \u{202E}txt.exe", "zero\u{200B}width", "nul\u{0}"] {
            XCTAssertThrowsError(try BurrowManager.checkTitle(bad), bad.debugDescription)
        }
        XCTAssertEqual(BranchPush.redact("https://user:ghp_secret@github.com/o/r.git"), "https://github.com/o/r.git")
        XCTAssertEqual(BranchPush.redact("fatal: unable to access 'https://x-token:abc@host/r/': 403"), "fatal: unable to access 'https://host/r/': 403")
        XCTAssertEqual(BranchPush.redact("git@github.com:o/r.git"), "git@github.com:o/r.git")
        XCTAssertEqual(BranchPush.redact("ssh://git@host:22/r"), "ssh://host:22/r")
    }
}
