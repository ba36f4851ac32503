@testable import BurrowSystem
@testable import BurrowKit
import Foundation
import XCTest

/// The harvest script (run here on the host with the same git the helper image copies): a turn that
/// changed a few paths takes the short way (git looks at just those paths again), any other the
/// exact way (a second walk of every file); every kind of change comes home the same either way.
final class HarvestWaysTests: XCTestCase {
    /// A repository with something for every kind of change, and a work tree beside it.
    func makeWorkspace() async throws -> (directory: String, base: String) {
        let directory = try TemporaryDirectory.make("burrow-harvest-ways")
        addTeardownBlock { _ = try? await Subprocess.run(["rm", "-rf", directory]) }
        let base = try await Subprocess.check(["bash", "-c", """
            set -e; mkdir -p '\(directory)/ws' && cd '\(directory)/ws' && git init -q -b main
            echo gone > gone.txt && mkdir dir-to-file && echo a > dir-to-file/a && echo f > file-to-dir && echo e > edited.txt
            echo '#!/bin/sh' > script.sh && echo target > target.txt && ln -s target.txt link && echo '*.log' > .gitignore
            git add -A && git -c user.name=t -c user.email=t@t commit -qm base && git rev-parse HEAD
            """]).stdout.filter { !$0.isWhitespace }
        return (directory, base)
    }

    /// Made within a second of the commit, so each change alters a size, a mode or a type: the harvest
    /// reads the index with `core.checkStat=minimal` (whole-second mtime and size), and this repo's git
    /// (default checkStat) does not mark a same-size edit of that second for it (3 runs in 12 lost a
    /// same-size link change, either way; the template's own config is minimal, which does).
    static let everyKindOfChange = """
        set -e; export GIT_AUTHOR_DATE=2026-01-01T00:00:00Z GIT_COMMITTER_DATE=2026-01-01T00:00:00Z; rm gone.txt && rm -r dir-to-file && echo now-a-file > dir-to-file && rm file-to-dir && mkdir -p file-to-dir/in
        echo inside > file-to-dir/in/x && echo more >> edited.txt && chmod +x script.sh && ln -sf script.sh link
        mkdir -p new/deep && echo n > new/deep/n.txt && printf y > ./-rf && printf z > "$(printf 'new\\nline')" && echo ignored > junk.log
        git init -q nested && (cd nested && echo s > s && git add s && git -c user.name=a -c user.email=a@a commit -qm s)
        echo staged > staged.txt && git add staged.txt
        """

    /// Runs the harvest on `workspace` (`directory/ws`), its layer at `upper`, its command line given
    /// to `wrap`; returns the result's files (`ls-tree -r`), the pathspec the script gave `git add`
    /// and its summary.
    func harvest(_ directory: String, base: String, workspace: String? = nil, upper: String = "/upper",
                 wrap: ([String]) -> [String] = { $0 }) async throws -> (files: String, pathspec: [UInt8], summary: HarvestSummary) {
        let script = HelperScripts.harvest.replacingOccurrences(of: "ws=/workspace; scratch=/scratch; out=/out; upper=/upper",
                                                               with: "ws=\(workspace ?? directory + "/ws"); scratch=\(directory)/scratch; out=\(directory)/out; upper=\(upper)")
        XCTAssertNotEqual(script, HelperScripts.harvest)
        try FileSystem.writeAtomically(Array(script.utf8), to: directory + "/harvest.sh")
        _ = try await Subprocess.check(["bash", "-c", "cd '\(directory)' && rm -rf scratch out && mkdir scratch out"])
        let output = try await Subprocess.check(wrap(["sh", directory + "/harvest.sh", base, "1000000", ".burrow"])).stdout
        let summary = try HarvestSummary.parse(String(output.split(separator: "\n").last ?? ""))
        let files = try await Subprocess.check(["git", "--git-dir=\(directory)/scratch/home.git", "ls-tree", "-r", summary.head]).stdout
        return (files, (try? FileSystem.readFile(directory + "/scratch/pathspec")) ?? [], summary)
    }

    func testEveryKindOfChangeComesHomeTheSameTheShortWayAndTheExactWay() async throws {
        let (few, base) = try await makeWorkspace()
        try await Subprocess.check(["bash", "-c", "cd '\(few)/ws' && " + Self.everyKindOfChange])
        let short = try await harvest(few, base: base)
        XCTAssertTrue(short.pathspec.starts(with: Array(":(literal)".utf8)), "the short way: \(String(decoding: short.pathspec, as: UTF8.self))")

        let (many, manyBase) = try await makeWorkspace()
        try await Subprocess.check(["bash", "-c", "cd '\(many)/ws' && mkdir bulk && for i in $(seq 250); do echo $i > bulk/$i; done && "
                                    + Self.everyKindOfChange])
        let exact = try await harvest(many, base: manyBase)
        XCTAssertEqual(exact.pathspec.prefix(2), [UInt8(ascii: "."), 0], "the exact way")
        XCTAssertTrue(exact.files.contains("\tbulk/250\n"), exact.files)
        let withoutBulk = exact.files.split(separator: "\n").filter { !$0.contains("\tbulk/") }.joined(separator: "\n") + "\n"
        XCTAssertEqual(short.files, withoutBulk)

        for expected in ["\tdir-to-file\n", "\tfile-to-dir/in/x\n", "\tnew/deep/n.txt\n", "\t-rf\n", "\t\"new\\nline\"\n", "\tstaged.txt\n",
                         "100755 blob", "120000 blob", "160000 commit"] {
            XCTAssertTrue(short.files.contains(expected), "\(expected) in \(short.files)")
        }
        for gone in ["gone.txt", "dir-to-file/a", "junk.log", "\tfile-to-dir\n"] {
            XCTAssertFalse(short.files.contains(gone), "\(gone) in \(short.files)")
        }
    }

    /// The workspace as a burrow has it, the kernel's overlay over the base (Podman's options for a
    /// volume over an image, here in a user and mount namespace of the test's own) with its upper
    /// folder shown read-only beside it: the harvest reads what changed from that layer, and brings
    /// home the same tree as the walk of every file in a plain copy with the same changes. Beyond
    /// every kind of change above: a folder removed and made again (the overlay hides the base's files
    /// in it without a whiteout), a file only taken out of the index, an edit deep down.
    func testEveryKindOfChangeComesHomeTheSameFromTheWorkspacesLayer() async throws {
        guard (try? await Subprocess.check(["unshare", "-rm", "true"])) != nil else {
            throw XCTSkip("unshare -rm (an unprivileged user namespace) is not allowed here: the overlay cannot be mounted")
        }
        let (directory, _) = try await makeWorkspace()
        let base = try await Subprocess.check(["bash", "-c", """
            set -e; cd '\(directory)/ws' && mkdir -p keep/deep folder && echo k > keep/deep/k && echo 1 > folder/one && echo 2 > folder/two
            echo u > untouched.txt && git add -A && git -c user.name=t -c user.email=t@t commit -qm more && git rev-parse HEAD
            cp -a '\(directory)/ws' '\(directory)/plain' && mkdir '\(directory)/upper' '\(directory)/work' '\(directory)/merged' '\(directory)/layer'
            """]).stdout.filter { !$0.isWhitespace }
        let nested = "git init -q nested && (cd nested && echo s > s && git add s && git -c user.name=a -c user.email=a@a commit -qm s)"
        XCTAssertTrue(Self.everyKindOfChange.contains(nested))
        let changes = Self.everyKindOfChange.replacingOccurrences(of: nested, with: "true") + """

            rm -r folder && mkdir folder && echo three > folder/three && echo more >> keep/deep/k && git rm -q --cached untouched.txt
            """
        /// The overlay mounted, `changes` made in it, then the harvest.
        func overlay(_ changes: String) -> ([String]) -> [String] {
            let mount = "mount -t overlay overlay -o lowerdir=\(directory)/ws,upperdir=\(directory)/upper,workdir=\(directory)/work,"
                + "redirect_dir=nofollow,userxattr '\(directory)/merged' && mount --bind '\(directory)/upper' '\(directory)/layer' "
                + "&& mount -o remount,bind,ro '\(directory)/layer' && cd '\(directory)/merged' && (\(changes)) && exec \"$@\""
            return { ["unshare", "-rm", "bash", "-c", mount, "burrow-overlay"] + $0 }
        }
        let layered = try await harvest(directory, base: base, workspace: directory + "/merged", upper: directory + "/layer", wrap: overlay(changes))
        XCTAssertEqual(layered.summary.layer, true, "read from the layer")

        try await Subprocess.check(["bash", "-c", "cd '\(directory)/plain' && " + changes])
        let walked = try await harvest(directory, base: base, workspace: directory + "/plain", upper: directory + "/layer")
        XCTAssertEqual(walked.summary.layer, false, "no overlay here: every file walked")
        XCTAssertEqual(layered.files, walked.files)
        for expected in ["\tfolder/three\n", "\tuntouched.txt\n", "\tfile-to-dir/in/x\n", "\t-rf\n", "\tdir-to-file\n"] {
            XCTAssertTrue(layered.files.contains(expected), "\(expected) in \(layered.files)")
        }
        for gone in ["folder/one", "folder/two", "gone.txt", "dir-to-file/a", "junk.log", "\tfile-to-dir\n"] {
            XCTAssertFalse(layered.files.contains(gone), "\(gone) in \(layered.files)")
        }

        // A nested repository written into the layer as well: the walk, and it comes home as a gitlink.
        let withNested = try await harvest(directory, base: base, workspace: directory + "/merged", upper: directory + "/layer",
                                           wrap: overlay(nested))
        XCTAssertEqual(withNested.summary.layer, false, "a nested repository takes the walk")
        XCTAssertTrue(withNested.files.contains("160000 commit") && withNested.files.contains("\tnested\n"), withNested.files)
        // A .gitattributes written there too (the walk adds files the layer does not hold, converting them anew).
        try await Subprocess.check(["bash", "-c", "cd '\(directory)' && rm -rf nested-gone && mv upper/nested nested-gone"])
        let attributes = try await harvest(directory, base: base, workspace: directory + "/merged", upper: directory + "/layer",
                                           wrap: overlay("echo '*.txt text' > .gitattributes"))
        XCTAssertEqual(attributes.summary.layer, false, "a .gitattributes takes the walk")
        XCTAssertTrue(attributes.files.contains("\t.gitattributes\n"), attributes.files)
    }

    /// A big file among a few changes, or a turn with no change at all: the exact way, or no add.
    func testABigFileTakesTheExactWayAndNoChangeAddsNothing() async throws {
        let (big, base) = try await makeWorkspace()
        try await Subprocess.check(["bash", "-c", "cd '\(big)/ws' && head -c 2000000 /dev/zero > big.bin && echo small > small.txt"])
        let exact = try await harvest(big, base: base)
        XCTAssertTrue(String(decoding: exact.pathspec, as: UTF8.self).contains(":(exclude,literal)./big.bin"), String(decoding: exact.pathspec, as: UTF8.self))
        XCTAssertTrue(exact.files.contains("\tsmall.txt\n") && !exact.files.contains("big.bin"), exact.files)

        let (none, noneBase) = try await makeWorkspace()
        let unchanged = try await harvest(none, base: noneBase)
        XCTAssertEqual(unchanged.pathspec, [], "nothing to add")
        XCTAssertTrue(unchanged.files.contains("\tgone.txt\n"), unchanged.files)
    }
}
