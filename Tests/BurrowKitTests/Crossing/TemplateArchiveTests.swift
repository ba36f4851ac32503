@testable import BurrowSystem
@testable import BurrowKit
import Foundation
import XCTest

/// The workspace template made straight from the store's objects: extracted, it is the commit's
/// exact blobs with a git index that finds every file clean without reading one, and an edit shows.
final class TemplateArchiveTests: XCTestCase {
    let owner = AgentIdentity(uid: 1234, gid: 5678)

    /// Files of every kind a checkout must get right, committed in the current directory (a repo).
    static let oddFiles = #"""
        printf 'plain\n' > plain.txt
        printf '#!/bin/sh\necho hi\n' > run.sh && chmod +x run.sh
        ln -s plain.txt link
        long=$(printf 'segment-%02d/' $(seq 1 12))
        mkdir -p "$long" && printf 'deep\n' > "${long}file-with-a-long-path.txt"
        ln -s "../../$long" "far-link"
        printf 'u\n' > 'ünïcödé ñame.txt'
        printf 'latin\n' > "$(printf 'caf\351')"
        printf 'nl\n' > "$(printf 'new\nline')"
        printf 'dash\n' > -rf
        mkdir -p x/y x.d zz && printf '1\n' > x/y/f && printf '2\n' > x.d/f && printf '3\n' > zz/f
        : > empty.txt
        printf 'version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n' > big.bin
        printf '*.bin filter=lfs diff=lfs merge=lfs -text\nsubst.txt export-subst\nignored.txt export-ignore\ncrlf.txt text eol=crlf\nident.txt ident\n' > .gitattributes
        printf '$Format:%%H$\n' > subst.txt
        printf 'ignored\n' > ignored.txt
        printf 'a\nb\n' > crlf.txt
        printf '$Id$\n' > ident.txt
        git add -A
        git update-index --add --cacheinfo 160000,0123456789abcdef0123456789abcdef01234567,vendor/sub
        git -c user.name=t -c user.email=t@t commit -qm init
    """#

    /// A repo of everything a checkout must get right, cloned bare into a store the way Burrow's is,
    /// with a second commit fetched so the store has packed and loose objects.
    func makeStore() async throws -> (store: String, commit: String) {
        let scratch = try TemporaryDirectory.make("burrow-archive-repo")
        addTeardownBlock { _ = try? await Subprocess.run(["rm", "-rf", scratch]) }  // FileSystem.removeTree skips non-UTF-8 names
        let script = #"""
        set -e
        mkdir repo && cd repo
        git init -q -b main
        \#(Self.oddFiles)
        git clone -q --bare . ../store.git
        printf 'second\n' > second.txt && git add second.txt && git -c user.name=t -c user.email=t@t commit -qm second
        git -C ../store.git fetch -q "$PWD" main:main
        git -C ../store.git config filter.lfs.smudge 'echo SMUDGED'
        git -C ../store.git config filter.lfs.required true
        git rev-parse HEAD
        """#
        let result = try await Subprocess.check(["bash", "-c", "cd '\(scratch)' && " + script])
        return (scratch + "/store.git", result.stdout.filter { !$0.isWhitespace })
    }

    /// The archive, extracted (by GNU tar) into a fresh directory; its `tar -tv` listing.
    func extract(_ archive: TemplateArchive) async throws -> (directory: String, listing: String) {
        let scratch = try TemporaryDirectory.make("burrow-archive-out")
        addTeardownBlock { _ = try? await Subprocess.run(["rm", "-rf", scratch]) }  // FileSystem.removeTree skips non-UTF-8 names
        let collected = Collected()
        try await archive.write { collected.add($0) }
        try FileSystem.writeAtomically(collected.bytes, to: scratch + "/template.tar")
        try FileSystem.createDirectories(scratch + "/ws")
        try await Subprocess.check(["tar", "-C", scratch + "/ws", "--no-same-owner", "-xf", scratch + "/template.tar"])
        let listing = try await Subprocess.check(["tar", "--numeric-owner", "-tvf", scratch + "/template.tar"]).stdout
        return (scratch + "/ws", listing)
    }

    func git(_ directory: String, _ arguments: [String]) async throws -> String {
        try await Subprocess.check(["git", "-C", directory] + arguments, environment: ["GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"]).stdout
    }

    func testTheExtractedTemplateIsCleanWithoutRehashingAndAnEditShows() async throws {
        let (store, commit) = try await makeStore()
        let (ws, listing) = try await extract(TemplateArchive(store: store, commit: commit, branch: "feature/x", owner: owner))
        let entries = listing.split(separator: "\n")
        XCTAssertGreaterThan(entries.count, 30)
        XCTAssertTrue(entries.allSatisfy { $0.contains(" 1234/5678 ") }, "every entry is the agent's: \(listing)")
        let names = try await Subprocess.check(["tar", "-tf", ws + "/../template.tar"]).stdout.split(separator: "\n")
        XCTAssertEqual(Set(names).count, names.count, "each directory once: \(names)")
        XCTAssertTrue(names.contains("segment-01/segment-02/") && names.contains("vendor/sub/") && names.contains(".git/refs/heads/feature/"), "\(names)")
        let probe1 = try await git(ws, ["diff-files", "--name-only"])
        XCTAssertEqual(probe1, "", "the index's stat data match every file: git need not read one")
        let probe2 = try await git(ws, ["status", "--porcelain", "--untracked-files=all"])
        XCTAssertEqual(probe2, "")
        _ = try await git(ws, ["fsck", "--no-dangling", "--no-progress"])  // the index's checksum and every object
        let probe3 = try await git(ws, ["rev-parse", "HEAD"])
        XCTAssertEqual(probe3.filter { !$0.isWhitespace }, commit)
        let probe4 = try await git(ws, ["symbolic-ref", "HEAD"])
        XCTAssertEqual(probe4, "refs/heads/feature/x\n")
        let probe5 = try await git(ws, ["log", "--format=%s"])
        XCTAssertEqual(probe5, "second\ninit\n")

        // The blobs as git stores them: no filter, export attribute or line-ending conversion applied.
        func text(_ name: String) throws -> String { String(decoding: try FileSystem.readFile(ws + "/" + name), as: UTF8.self) }
        XCTAssertEqual(try text("subst.txt"), "$Format:%H$\n")
        XCTAssertEqual(try text("ignored.txt"), "ignored\n")
        XCTAssertEqual(try text("crlf.txt"), "a\nb\n")
        XCTAssertEqual(try text("ident.txt"), "$Id$\n")
        XCTAssertTrue(try text("big.bin").hasPrefix("version https://git-lfs.github.com/spec/v1\n"))
        XCTAssertEqual(try text("ünïcödé ñame.txt"), "u\n")
        XCTAssertEqual(try text("new\nline"), "nl\n")
        XCTAssertEqual(FileSystem.status(ws + "/run.sh")?.mode, 0o755)
        XCTAssertEqual(FileSystem.status(ws + "/plain.txt")?.mode, 0o644)
        XCTAssertEqual(FileSystem.status(ws + "/empty.txt")?.size, 0)
        XCTAssertEqual(FileSystem.status(ws + "/vendor/sub")?.isDirectory, true, "a submodule is an empty directory")
        XCTAssertEqual(FileSystem.listDirectory(ws + "/vendor/sub"), [])
        let probe6 = try await Subprocess.check(["readlink", ws + "/link"]).stdout
        XCTAssertEqual(probe6, "plain.txt\n")
        let probe7 = try await Subprocess.check(["readlink", ws + "/far-link"]).stdout
        XCTAssertTrue(probe7.hasPrefix("../../segment-01/"))
        let files = try await git(ws, ["ls-files", "-s"])
        XCTAssertTrue(files.contains("160000 0123456789abcdef0123456789abcdef01234567 0\tvendor/sub"), files)
        XCTAssertTrue(files.contains("120000 ") && files.contains("100755 "), files)

        // An edit of the same size, and a new file, show as changes.
        try FileSystem.writeAtomically(Array("PLAIN\n".utf8), to: ws + "/plain.txt")
        try FileSystem.writeAtomically(Array("new\n".utf8), to: ws + "/added.txt")
        let probe8 = try await git(ws, ["status", "--porcelain"])
        XCTAssertEqual(probe8, " M plain.txt\n?? added.txt\n")
    }

    /// The index carries every tree (git's cache tree), byte for byte what git itself writes after
    /// `read-tree`, so `write-tree` rebuilds only the trees above what changed, and rightly.
    func testTheIndexCarriesTheTreesGitWouldWrite() async throws {
        let (store, commit) = try await makeStore()
        let (ws, _) = try await extract(TemplateArchive(store: store, commit: commit, branch: "main", owner: owner))
        let ours = try FileSystem.readFile(ws + "/.git/index")
        _ = try await Subprocess.check(["bash", "-c", "cd '\(ws)' && GIT_INDEX_FILE=.git/theirs git read-tree HEAD"])
        let gits = try FileSystem.readFile(ws + "/.git/theirs")
        let paths = try await git(ws, ["ls-files", "-z"]).utf8.split(separator: 0)
        let withoutTrees = paths.reduce(12) { $0 + GitIndexFile.entrySize(pathLength: $1.count) }
        XCTAssertEqual(ours.count, gits.count)
        XCTAssertEqual(Array(ours[withoutTrees...].prefix(4)), Array("TREE".utf8))
        XCTAssertEqual(Array(ours[withoutTrees..<(ours.count - 20)]), Array(gits[withoutTrees..<(gits.count - 20)]), "the extension as git writes it")
        XCTAssertGreaterThan(ours.count - 20 - withoutTrees, 8 + 12 * 20, "every directory: x, x/y, x.d, zz, vendor, the segments")
        let probe1 = try await git(ws, ["write-tree"])
        let probe2 = try await git(ws, ["rev-parse", "HEAD^{tree}"])
        XCTAssertEqual(probe1, probe2)
        // Changes below two directories: the trees above them are rebuilt, as from an index without any.
        try FileSystem.writeAtomically(Array("changed\n".utf8), to: ws + "/x/y/f")
        try FileSystem.writeAtomically(Array("new\n".utf8), to: ws + "/segment-01/added.txt")
        _ = try await git(ws, ["add", "-A"])
        let probe3 = try await git(ws, ["write-tree"])
        let probe4 = try await Subprocess.check(["bash", "-c", """
            cd '\(ws)' && export GIT_INDEX_FILE=.git/bare && git read-tree --empty && GIT_INDEX_FILE=.git/index git ls-files -s -z | git update-index -z --index-info && git add -A && git write-tree
            """]).stdout
        XCTAssertEqual(probe3, probe4)
        XCTAssertNotEqual(probe3, probe2)
    }

    /// An empty folder in the commit (no index entry can hold it), or a tree past the limits, leaves
    /// the cache tree out: the template is made as before, and git in it works.
    func testAnEmptyFolderOrATooDeepTreeLeavesTheCacheTreeOut() async throws {
        let repo = try TemporaryDirectory.make("burrow-archive-empty-folder")
        addTeardownBlock { _ = try? await Subprocess.run(["rm", "-rf", repo]) }
        let commit = try await Subprocess.check(["bash", "-c", """
            set -e; cd '\(repo)' && git init -q -b main && echo f > f && blob=$(git hash-object -w f) && empty=$(git mktree </dev/null)
            tree=$(printf '100644 blob %s\\tf\\n040000 tree %s\\tempty\\n' $blob $empty | git mktree)
            commit=$(git -c user.name=t -c user.email=t@t commit-tree $tree -m x) && git update-ref refs/heads/main $commit
            git clone -q --bare . store.git && echo $commit
            """]).stdout.filter { !$0.isWhitespace }
        let (ws, _) = try await extract(TemplateArchive(store: repo + "/store.git", commit: commit, branch: "main", owner: owner))
        XCTAssertFalse(try FileSystem.readFile(ws + "/.git/index").firstRange(of: Array("TREE".utf8)) != nil, "no cache tree")
        let probe1 = try await git(ws, ["status", "--porcelain"])
        XCTAssertEqual(probe1, "")
        let probe2 = try await git(ws, ["ls-files"])
        XCTAssertEqual(probe2, "f\n")

        var deep = GitCacheTree(), shallow = GitCacheTree()
        deep.count(Array((String(repeating: "d/", count: GitCacheTree.maxDepth + 1) + "f").utf8))
        shallow.count(Array((String(repeating: "d/", count: 3) + "f").utf8))
        let root = [UInt8](repeating: 1, count: 20)
        XCTAssertNil(deep.encoded(root: root, trees: []))
        let trees = ["d", "d/d", "d/d/d"].map { (path: Array($0.utf8), object: [UInt8](repeating: 2, count: 20)) }
        XCTAssertNotNil(shallow.encoded(root: root, trees: trees))
        XCTAssertNil(shallow.encoded(root: root, trees: Array(trees.prefix(2))), "a directory without its tree")
        // Past 8 MiB of directory paths (long folder names, each its own directory), nothing is kept.
        var wide = GitCacheTree()
        let long = String(repeating: "n", count: 60_000)
        for index in 0..<(GitCacheTree.maxPathBytes / 60_000 + 1) { wide.count(Array("\(index)\(long)/f".utf8)) }
        XCTAssertNil(wide.entriesUnder, "over the limit")
        XCTAssertEqual(wide.entries, GitCacheTree.maxPathBytes / 60_000 + 1)
    }

    func testALatin1NameRoundTrips() async throws {
        let (store, commit) = try await makeStore()
        let (ws, _) = try await extract(TemplateArchive(store: store, commit: commit, branch: "main", owner: owner))
        let names = try await Subprocess.check(["bash", "-c", "cd '\(ws)' && ls -b | grep '^caf'"]).stdout
        XCTAssertEqual(names, "caf\\351\n", "the name's bytes are kept as they are")
    }

    func testAnEmptyTreeGivesAnEmptyCleanWorkspace() async throws {
        let repo = try TemporaryDirectory.make("burrow-archive-empty")
        addTeardownBlock { _ = try? await Subprocess.run(["rm", "-rf", repo]) }  // FileSystem.removeTree skips non-UTF-8 names
        let commit = try await Subprocess.check(["bash", "-c", """
        cd '\(repo)' && git init -q -b main && git -c user.name=t -c user.email=t@t commit -q --allow-empty -m empty \
          && git clone -q --bare . store.git && git rev-parse HEAD
        """]).stdout.filter { !$0.isWhitespace }
        let (ws, _) = try await extract(TemplateArchive(store: repo + "/store.git", commit: commit, branch: "main", owner: owner))
        XCTAssertEqual(FileSystem.listDirectory(ws), [".git"])
        let probe9 = try await git(ws, ["status", "--porcelain"])
        XCTAssertEqual(probe9, "")
        let probe10 = try await git(ws, ["ls-files"])
        XCTAssertEqual(probe10, "")
        let probe11 = try await git(ws, ["rev-parse", "HEAD"])
        XCTAssertEqual(probe11.filter { !$0.isWhitespace }, commit)
    }

    func testABranchNameThatLeavesRefsIsRefused() async throws {
        let (store, commit) = try await makeStore()
        let archive = TemplateArchive(store: store, commit: commit, branch: "../../../escape", owner: owner)
        do {
            try await archive.write { _ in XCTFail("nothing is written for a bad branch") }
            XCTFail("a bad branch name was accepted")
        } catch let failure as Subprocess.Failure {
            XCTAssertTrue(failure.command.contains("check-ref-format"), failure.description)
        }
    }

    func testPathsACheckoutRefusesAreRefused() {
        let object = String(repeating: "ab", count: 20)
        for path in ["../escape", ".git/config", "a/.GIT/hooks/x", "a//b", "/abs", "a/./b", ""] {
            XCTAssertThrowsError(try GitTree.entry(Array("100644 blob \(object)       4\t\(path)".utf8)), path)
        }
        for record in ["100644 blob \(object)", "040000 tree \(object)       -\ta", "100644 blob \(object)       x\ta", "100644 blob abc       4\ta"] {
            XCTAssertThrowsError(try GitTree.entry(Array(record.utf8)), record)
        }
        let good = try? GitTree.entry(Array("100755 blob \(object)       4\tdir/run me".utf8))
        XCTAssertEqual(good, GitTree.Entry(kind: .file(executable: true), object: GitTree.rawObjectID(object)!, size: 4, path: Array("dir/run me".utf8)))
    }
}

/// Bytes handed over by a `@Sendable` sink, kept for the test.
final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [UInt8] = []
    var bytes: [UInt8] { lock.withLock { storage } }
    func add(_ piece: [UInt8]) { lock.withLock { storage += piece } }
}
