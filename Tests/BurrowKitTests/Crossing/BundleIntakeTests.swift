@testable import BurrowSystem
@testable import BurrowKit
import Foundation
import XCTest

/// The host takes a harvest's bundle with `git index-pack --strict` from the pack after its header:
/// the header is read as hostile bytes, every object is checked and every object it names must be
/// there, and nothing of a refused bundle is left in Burrow's repository.
final class BundleIntakeTests: XCTestCase {
    /// A store (the user's commit) and a bundle of one commit on top of it, made as the harvest makes it.
    func makeBundle() async throws -> (directory: String, store: String, base: String, head: String) {
        let directory = try TemporaryDirectory.make("burrow-bundle-intake")
        addTeardownBlock { _ = try? await Subprocess.run(["rm", "-rf", directory]) }
        let ids = try await Subprocess.check(["bash", "-c", """
            set -e; cd '\(directory)' && git init -q -b main user && cd user && echo one > a.txt && git add a.txt
            git -c user.name=u -c user.email=u@u commit -qm base && git rev-parse HEAD && git clone -q --bare . ../store.git
            echo two >> a.txt && git -c user.name=a -c user.email=a@a commit -qam agent && git rev-parse HEAD
            git branch result && git bundle create -q ../result.bundle refs/heads/result ^HEAD~1
            """]).stdout.split(separator: "\n").map(String.init)
        return (directory, directory + "/store.git", ids[0], ids[1])
    }

    func receive(_ directory: String, bundle: String, head: String, base: String) async throws -> Homecoming.Arrival {
        try await Homecoming.receive(bundle: bundle, head: head, turn: Homecoming.Turn(id: "b1", turn: 1, base: base, previousHead: nil),
                                     repo: RepoConfig(name: "demo"), store: directory + "/store.git", resultRepo: directory + "/result.git",
                                     patchPath: directory + "/result.patch")
    }

    func testTheHeaderIsReadAsTheHarvestWritesItAndNothingElse() throws {
        let id = String(repeating: "a", count: 40), other = String(repeating: "b", count: 40)
        let good = Array("# v2 git bundle\n-\(other) base\n\(id) refs/heads/result\n\nPACK....".utf8)
        XCTAssertEqual(try GitBundleHeader.parse(good, format: "sha1"), GitBundleHeader(head: id, packOffset: Int64(good.count - 8)))
        let sha256 = String(repeating: "c", count: 64)
        XCTAssertEqual(try GitBundleHeader.parse(Array("# v3 git bundle\n@object-format=sha256\n\(sha256) refs/heads/result\n\nPACK".utf8), format: "sha256").head, sha256)
        for (bad, why) in [("# v2 git bundle\n\(id) refs/heads/result\n\(other) refs/heads/result\n\nPACK", "two refs"),
                           ("# v2 git bundle\n\(id) refs/heads/main\n\nPACK", "another ref"),
                           ("# v3 git bundle\n@filter=blob:none\n\(id) refs/heads/result\n\nPACK", "a filter"),
                           ("# v3 git bundle\n@object-format=sha1\n\(id) refs/heads/result\n\nPACK", "sha1 asked of a sha256 repo"),
                           ("# v2 git bundle\n\(id) refs/heads/result\nPACK", "no end of the header"),
                           ("# v2 git bundle\n\(id) refs/heads/result\n\nJUNK", "no pack"),
                           ("# v9 git bundle\n\(id) refs/heads/result\n\nPACK", "another version"),
                           ("# v2 git bundle\n-\(id.prefix(20)) short\n\(id) refs/heads/result\n\nPACK", "a cut prerequisite"),
                           ("# v2 git bundle\n\(String(repeating: "0", count: 40)) refs/heads/result\n\nPACK", "the null id"),
                           ("# v2 git bundle\n\n", "no result")] {
            XCTAssertThrowsError(try GitBundleHeader.parse(Array(bad.utf8), format: why.contains("sha256") ? "sha256" : "sha1"), why)
        }
    }

    func testABundleComesInChecked() async throws {
        let (directory, _, base, head) = try await makeBundle()
        let arrival = try await receive(directory, bundle: directory + "/result.bundle", head: head, base: base)
        XCTAssertEqual(arrival.head, head)
        let patch = String(decoding: try FileSystem.readFile(directory + "/result.patch"), as: UTF8.self)
        XCTAssertTrue(patch.contains("+two"), patch)
        XCTAssertEqual(FileSystem.listDirectory(directory + "/result.git/objects").filter { $0.hasPrefix("incoming") }, [], "the quarantine is gone")
    }

    /// A `.gitmodules` git checks only once it can read it (index-pack names it): a harmless one comes
    /// in (by index-pack, or by the fully checked fetch it then takes), a hostile one is refused
    /// (by either) and leaves nothing.
    func testAGitmodulesIsCheckedBeforeItComesIn() async throws {
        for (url, accepted) in [("https://example.com/x.git", true), ("--upload-pack=touch /tmp/burrow-never", false)] {
            let (directory, _, _, _) = try await makeBundle()
            let ids = try await Subprocess.check(["bash", "-c", """
                set -e; cd '\(directory)/user' && git reset -q --hard HEAD~1 && git rev-parse HEAD && printf '[submodule "x"]\\n\\tpath = x\\n\\turl = %s\\n' '\(url)' > .gitmodules
                git add .gitmodules && git -c user.name=a -c user.email=a@a commit -qm modules && git rev-parse HEAD
                git branch -f result && git bundle create -q ../modules.bundle refs/heads/result ^HEAD~1
                """]).stdout.split(separator: "\n").map(String.init)
            let (base, head) = (ids[0], ids[1])
            do {
                let arrival = try await receive(directory, bundle: directory + "/modules.bundle", head: head, base: base)
                XCTAssertTrue(accepted, "a hostile .gitmodules came in")
                XCTAssertEqual(arrival.head, head)
            } catch let error as CrossingError {
                XCTAssertFalse(accepted, "\(error)")
                XCTAssertTrue("\(error)".contains("gitmodules"), "\(error)")
                let has = try await Subprocess.run(["git", "-C", directory + "/result.git", "cat-file", "-e", head])
                XCTAssertNotEqual(has.status, 0, "the refused commit is not in Burrow's repository")
            }
        }
    }

    /// A bundle whose ref names a blob (checked, but no commit): refused, and its pack is not moved in.
    func testABundleWhoseResultIsNoCommitIsRefusedAndLeavesNothing() async throws {
        let (directory, _, base, _) = try await makeBundle()
        let blob = try await Subprocess.check(["bash", "-c", """
            set -e; cd '\(directory)/user' && b=$(echo data | git hash-object -w --stdin) && echo $b
            { printf '# v2 git bundle\\n%s refs/heads/result\\n\\n' $b; echo $b | git pack-objects -q --stdout; } > ../blob.bundle
            """]).stdout.filter { !$0.isWhitespace }
        do {
            _ = try await receive(directory, bundle: directory + "/blob.bundle", head: blob, base: base)
            XCTFail("a blob came in as the result")
        } catch let error as CrossingError {
            XCTAssertTrue("\(error)".contains("not a commit"), "\(error)")
        }
        XCTAssertEqual(FileSystem.listDirectory(directory + "/result.git/objects/pack"), [], "nothing of it is kept")
    }

    /// A pack with the commit but not its tree: refused, and no object of it stays.
    func testAPackThatLacksAnObjectItNamesIsRefusedAndLeavesNothing() async throws {
        let (directory, _, base, head) = try await makeBundle()
        try await Subprocess.check(["bash", "-c", """
            set -e; cd '\(directory)/user' && { printf '# v2 git bundle\\n-%s base\\n%s refs/heads/result\\n\\n' \(base) \(head)
              echo \(head) | git pack-objects -q --stdout; } > ../broken.bundle
            """])
        do {
            _ = try await receive(directory, bundle: directory + "/broken.bundle", head: head, base: base)
            XCTFail("a commit without its tree came in")
        } catch let error as CrossingError {
            XCTAssertTrue("\(error)".contains("refused"), "\(error)")
        }
        let packs = FileSystem.listDirectory(directory + "/result.git/objects/pack")
        XCTAssertEqual(packs, [], "nothing of the refused pack is kept")
        let has = try await Subprocess.run(["git", "-C", directory + "/result.git", "cat-file", "-e", head])
        XCTAssertNotEqual(has.status, 0, "the commit is not in Burrow's repository")
    }
}
