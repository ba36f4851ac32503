@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import Foundation
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// The agent is the attacker: everything it can plant in its repository must stay data on the way home.
/// Each test checks that the attack script really ran (its files came home) and that nothing it
/// planted ran on the host (no marker file).
final class CrossingAttackTests: XCTestCase {
    /// Every git setting and hook that runs a command, planted in the workspace's repo.
    static let plantEverything = """
    cd /workspace
    echo "planted" > PLANTED.txt && git add PLANTED.txt && git commit -qm 'agent: planted'
    for key in core.fsmonitor core.pager core.editor core.sshCommand core.askPass diff.external sequence.editor \\
               gpg.program credential.helper core.gitProxy uploadpack.packObjectsHook; do
      git config "$key" "touch MARKER-$key; false"
    done
    git config alias.add '!touch MARKER-alias-add'
    git config alias.status '!touch MARKER-alias-status'
    git config filter.x.clean 'touch MARKER-filter-clean; cat'
    git config filter.x.smudge 'touch MARKER-filter-smudge; cat'
    git config filter.x.process 'touch MARKER-filter-process'
    git config filter.x.required true
    git config diff.x.textconv 'touch MARKER-textconv; cat'
    git config diff.x.command 'touch MARKER-diff-command'
    git config merge.x.driver 'touch MARKER-merge-driver'
    git config gc.auto 1
    git config core.hooksPath /workspace/.hooks
    printf '* filter=x diff=x merge=x\\n' > .gitattributes
    mkdir -p .hooks .git/hooks
    for hook in pre-commit prepare-commit-msg commit-msg post-commit post-checkout post-merge pre-push pre-auto-gc \\
                post-rewrite reference-transaction post-index-change fsmonitor-watchman pre-applypatch push-to-checkout; do
      printf '#!/bin/sh\\ntouch MARKER-hook-%s\\n' "$hook" > .hooks/$hook
      cp .hooks/$hook .git/hooks/$hook
      chmod +x .hooks/$hook .git/hooks/$hook
    done
    """

    func testEverythingPlantedInTheRepoStaysDataOnTheHost() async throws {
        let attack = try await AttackBurrow.make(self)
        let record = try await attack.run(Self.plantEverything + "\necho uncommitted > U.txt")
        XCTAssertEqual(record.state, .succeeded, record.error ?? "")
        XCTAssertEqual(attack.escapes(), [], "a planted command ran on the host")
        let files = try await attack.branchFiles(record)
        XCTAssertTrue(files.contains("PLANTED.txt") && files.contains("U.txt") && files.contains(".gitattributes"), "the attack's files came home as data: \(files)")
        XCTAssertTrue(files.contains(".hooks/pre-commit"), "hook scripts came home as plain files")
        let log = try await attack.branchLog(record)
        XCTAssertEqual(log.dropFirst().first, "agent: planted", "Burrow's commit of what was left, on the agent's own")
        XCTAssertTrue(try attack.patch(record).contains("+planted"))
    }

    func testAMissingOrReplacedDotGitBringsTheFilesHomeOnTheBase() async throws {
        let attack = try await AttackBurrow.make(self)
        let hostRepo = try await BurrowTestApp.makeRepo()
        let cases = [
            "deleted": "rm -rf .git",
            "gitdir file": "rm -rf .git && echo 'gitdir: \(hostRepo)/.git' > .git",
            "symlink": "rm -rf .git && ln -s /etc .git",
        ]
        for (name, script) in cases {
            let record = try await attack.run("cd /workspace && echo '\(name)' > WORK.txt && \(script)")
            XCTAssertEqual(record.state, .succeeded, "\(name): \(record.error ?? "")")
            let files = try await attack.branchFiles(record)
            XCTAssertTrue(files.contains("WORK.txt") && files.contains("README.md"), "\(name): \(files)")
            XCTAssertFalse(files.contains("\t.git"), name)
            XCTAssertTrue((record.homeNotes ?? []).contains { $0.contains(".git") }, "\(name): \(record.homeNotes ?? [])")
            let parents = try await Subprocess.check(["git", "-C", attack.app.repoPath, "rev-parse", "burrow/\(record.id)^"]).stdout
            XCTAssertEqual(parents.filter { !$0.isWhitespace }, record.baseCommit, "\(name): committed on top of the base")
        }
        XCTAssertEqual(attack.escapes(), [])
    }

    func testRewrittenHistoryComesHomeAsItsFilesOnTheBase() async throws {
        let attack = try await AttackBurrow.make(self)
        let record = try await attack.run("""
        cd /workspace && git checkout -q --orphan rewritten && git rm -rq --cached . && echo new > NEW.txt && git add NEW.txt \
          && git commit -qm 'agent: a history of its own' && git reflog expire --expire=now --all && git gc -q --prune=now
        """)
        XCTAssertEqual(record.state, .succeeded, record.error ?? "")
        XCTAssertTrue((record.homeNotes ?? []).contains { $0.contains("did not descend from the base") }, "\(record.homeNotes ?? [])")
        let files = try await attack.branchFiles(record)
        XCTAssertTrue(files.contains("NEW.txt"), files)
        let merged = try await Subprocess.run(["git", "-C", attack.app.repoPath, "merge-base", "--is-ancestor", record.baseCommit!, "burrow/\(record.id)"])
        XCTAssertTrue(merged.succeeded, "the branch sits on the base")
    }

    func testTenThousandCommitsComeHome() async throws {
        let attack = try await AttackBurrow.make(self)
        let record = try await attack.run("""
        cd /workspace
        from="from $(git rev-parse HEAD)"
        i=1; { while [ $i -le 10000 ]; do
          printf 'commit refs/heads/main\\ncommitter A <a@a> %d +0000\\ndata 4\\nc%03d\\n' $((1700000000 + i)) $((i % 1000))
          [ -n "$from" ] && echo "$from"
          printf 'M 644 inline n.txt\\ndata 6\\n%05d\\n\\n' $i
          from=""; i=$((i + 1)); done; } > /tmp/stream
        git fast-import --quiet < /tmp/stream && git reset -q --hard main
        """, within: 300)
        XCTAssertEqual(record.state, .succeeded, record.error ?? "")
        let count = try await Subprocess.check(["git", "-C", attack.app.repoPath, "rev-list", "--count", "burrow/\(record.id)"]).stdout
        XCTAssertEqual(Int(count.filter { !$0.isWhitespace }), 10_001)
    }

    func testAHugeFileStaysBehindAndTheRestComesHome() async throws {
        let attack = try await AttackBurrow.make(self)
        let record = try await attack.run("cd /workspace && dd if=/dev/zero of=huge.bin bs=1M seek=1024 count=0 && ls -la huge.bin && echo small > small.txt")
        XCTAssertEqual(record.state, .succeeded, record.error ?? "")
        let files = try await attack.branchFiles(record)
        XCTAssertTrue(files.contains("small.txt"), files)
        XCTAssertFalse(files.contains("huge.bin"), files)
        XCTAssertTrue((record.homeNotes ?? []).contains { $0.contains("huge.bin") && $0.contains("limit") }, "\(record.homeNotes ?? [])")
    }

    func testManyHugeFilesWithQuotedNamesAreNamedBoundedAndTheRestComesHome() async throws {
        let attack = try await AttackBurrow.make(self)
        // 61 files over the limit; one name, sorted first, puts an escaped quote exactly where a note is cut.
        let record = try await attack.run("""
        cd /workspace && for i in $(seq 60); do dd if=/dev/zero of="big-$i.bin" bs=1M seek=101 count=0 2>/dev/null; done \
          && name="a$(printf 'x%.0s' $(seq 233))"'"tail' && dd if=/dev/zero of="$name" bs=1M seek=101 count=0 2>/dev/null \
          && echo small > small.txt
        """)
        XCTAssertEqual(record.state, .succeeded, record.error ?? "")
        let files = try await attack.branchFiles(record)
        XCTAssertTrue(files.contains("small.txt"), files)
        XCTAssertFalse(files.contains("big-") || files.contains("tail"), files)
        let notes = record.homeNotes ?? []
        XCTAssertEqual(notes.filter { $0.contains("over the per-file limit") }.count, 50, "named, at most 50: \(notes.count)")
        // Sorted first, so among the 50: its note is cut right after the quote, which stays a quote.
        XCTAssertTrue(notes.contains { $0.hasSuffix(": a" + String(repeating: "x", count: 233) + "\"") }, "\(notes.prefix(2))")
    }

    func testATrackedFolderReplacedByALinkToAHugeFileStillBringsTheRestHome() async throws {
        let attack = try await AttackBurrow.make(self)
        try await Subprocess.check(["mkdir", "-p", attack.app.repoPath + "/d"])
        try await attack.userCommit("d/f", "tracked\n")
        // d/f is now deleted, and behind the link lies a huge d/f: nothing may measure it through the link.
        let record = try await attack.run("""
        cd /workspace && mkdir -p /tmp/t && dd if=/dev/zero of=/tmp/t/f bs=1M seek=101 count=0 2>/dev/null \
          && rm -rf d && ln -s /tmp/t d && echo small > small.txt
        """)
        XCTAssertEqual(record.state, .succeeded, record.error ?? "")
        let files = try await attack.branchFiles(record)
        XCTAssertTrue(files.contains("small.txt"), files)
        XCTAssertTrue(files.contains("120000 blob") && files.contains("\td\n") || files.hasSuffix("\td"), "the link comes home as a link: \(files)")
        XCTAssertFalse(files.contains("d/f"), files)
        XCTAssertFalse((record.homeNotes ?? []).contains { $0.contains("d/f") }, "nothing measured through the link: \(record.homeNotes ?? [])")
    }

    func testSymlinksOddNamesAndSubmodulesAreData() async throws {
        let attack = try await AttackBurrow.make(self)
        let record = try await attack.run("""
        cd /workspace && ln -s /etc/passwd passwd-link && printf 'x' > "$(printf 'new\\nline')" && printf y > '-rf' \
          && git init -q sub && (cd sub && echo s > s && git add s && git commit -qm sub) && git add sub passwd-link && git commit -qm 'agent: links'
        """)
        XCTAssertEqual(record.state, .succeeded, record.error ?? "")
        let files = try await attack.branchFiles(record)
        XCTAssertTrue(files.contains("120000 blob") && files.contains("passwd-link"), "a symlink comes home as a link's text: \(files)")
        XCTAssertTrue(files.contains("160000 commit") && files.contains("\tsub"), "a submodule comes home as a reference: \(files)")
        XCTAssertTrue(files.contains("\"new\\nline\"") && files.contains("-rf"), files)
        XCTAssertEqual(attack.escapes(), [])
    }

    func testAHostileGitmodulesIsRefusedWithTheWorkKept() async throws {
        let attack = try await AttackBurrow.make(self)
        let record = try await attack.run("""
        cd /workspace && printf '[submodule "x"]\\n\\tpath = x\\n\\turl = --upload-pack=touch MARKER-upload-pack\\n' > .gitmodules \
          && git add .gitmodules && git commit -qm 'agent: hostile gitmodules'
        """)
        XCTAssertEqual(attack.escapes(), [])
        XCTAssertTrue(record.error?.contains("refused") == true, record.error ?? "no error")
        XCTAssertNil(record.branch)
        let volume = try await attack.app.manager.podman.volumeExists(record.workspaceVolume)
        XCTAssertTrue(volume, "the workspace stays until teardown")
    }

    func testAFullDiskOnTheWayHomeIsAClearErrorAndTheWorkspaceStays() async throws {
        let attack = try await AttackBurrow.make(self)
        await attack.app.manager.tuneCrossing { $0.scratchLimitBytes = 1 << 20 }
        let record = try await attack.run("echo '{\"type\":\"system\",\"subtype\":\"init\",\"session_id\":\"s1\"}'; cd /workspace && head -c 4194304 /dev/urandom > blob.bin && ls -la blob.bin")
        XCTAssertTrue(record.error?.contains("bringing the work home failed") == true, record.error ?? "no error")
        XCTAssertTrue(record.error?.contains("No space left") == true || record.error?.contains("git add failed") == true, record.error ?? "")
        XCTAssertNil(record.branch)
        let volume = try await attack.app.manager.podman.volumeExists(record.workspaceVolume)
        XCTAssertTrue(volume, "the workspace and the agent's work stay until teardown")
        await attack.app.manager.tuneCrossing { $0.scratchLimitBytes = nil }
        let again = try await attack.app.manager.sendMessage(record.id, text: "true")
        XCTAssertEqual(again.turn, 2)
        let second = try await attack.app.finished(record.id, within: 60)
        XCTAssertNil(second.error, "the follow-up's way home: \(second.error ?? "")")
        let files = try await attack.branchFiles(second)
        XCTAssertTrue(files.contains("blob.bin"), "with room again, a follow-up brings the same work home: \(files)")
    }
}
