@testable import BurrowKit
@testable import BurrowWeb
import BurrowSystem
import Foundation
import XCTest

/// Repositories added and removed from the page: checked like the config's, kept in Burrow's state,
/// launchable at once, and refused clearly without changing anything.
final class AddedReposTests: XCTestCase {
    private func post(_ app: BurrowTestApp, _ body: [String: String]) async throws -> RawClient.Response {
        try await app.server.request("POST", "/api/repos", headers: ["Content-Type": "application/json"],
                                     body: String(decoding: try JSONEncoder().encode(body), as: UTF8.self))
    }

    private func listed(_ app: BurrowTestApp) async throws -> [String: String] {
        let response = try await app.server.request("GET", "/api/repos")
        let repos = try JSONSerialization.jsonObject(with: Data(response.body)) as? [[String: Any]] ?? []
        return Dictionary(uniqueKeysWithValues: repos.map { ($0["name"] as? String ?? "", $0["origin"] as? String ?? "") })
    }

    func testARepoAddedFromThePageLaunchesIsKeptAndIsRemoved() async throws {
        let app = try await BurrowTestApp()
        addTeardownBlock { await app.cleanUp() }
        let other = try await BurrowTestApp.makeRepo()
        defer { FileSystem.removeTree(other) }
        let added = try await post(app, ["path": other + "/"])
        XCTAssertEqual(added.status, 201, added.text)
        let name = LocalRepoPath.name(for: other)
        let both = try await listed(app)
        XCTAssertEqual(both, ["demo": "config", name: "page"])

        let record = try await app.launch("work on the added repo", repo: name)
        let finished = try await app.finished(record.id)
        XCTAssertEqual(finished.state, .succeeded, finished.error ?? "")
        XCTAssertEqual(finished.branch, "burrow/\(record.id)")

        let again = try AddedRepos(stateDir: app.stateDir)
        XCTAssertEqual(again.all.map(\.path), [other], "kept in Burrow's state for the next start")

        let fromConfig = try await app.server.request("DELETE", "/api/repos/demo")
        XCTAssertEqual(fromConfig.status, 409)
        XCTAssertTrue(fromConfig.text.contains("config file"), fromConfig.text)
        let removed = try await app.server.request("DELETE", "/api/repos/\(name)")
        XCTAssertEqual(removed.status, 204, removed.text)
        let left = try await listed(app)
        XCTAssertEqual(left, ["demo": "config"])
        let kept = try? await app.record(record.id)
        XCTAssertNotNil(kept, "its burrows' records stay")
    }

    func testBadRepositoriesAreRefusedNamingTheFixAndNothingChanges() async throws {
        let app = try await BurrowTestApp()
        addTeardownBlock { await app.cleanUp() }
        let plain = try TemporaryDirectory.make("not-a-repo")
        defer { FileSystem.removeTree(plain) }
        let cases: [([String: String], String)] = [
            (["path": plain], "not a git repository"),
            (["path": "/nonexistent/burrow-repo"], "is not a folder"),
            (["path": app.repoPath, "name": "demo"], "config file already"),
            (["path": app.repoPath, "name": "bad name!"], "letters, digits"),
            (["url": "-oProxyCommand=touch_/tmp/x"], "not a git URL"),
            (["url": "https://example.com/a b.git"], "one line without spaces"),
            (["url": "https://example.com/a.git", "path": app.repoPath], "exactly one"),
            ([:], "exactly one"),
            (["url": "https://example.com/a.git", "ref": "--upload-pack=x"], "branch or tag"),
        ]
        for (body, expected) in cases {
            let response = try await post(app, body)
            XCTAssertEqual(response.status, 400, "\(body): \(response.text)")
            XCTAssertTrue(response.text.contains(expected), "\(body): \(response.text)")
        }
        let unchanged = try await listed(app)
        XCTAssertEqual(unchanged, ["demo": "config"])
        XCTAssertFalse(FileSystem.exists(app.stateDir + "/repos.json"), "nothing was written")
        let url = try await post(app, ["url": "https://example.com/owner/project.git", "name": "project"])
        XCTAssertEqual(url.status, 201, url.text)
        let twice = try await post(app, ["url": "https://example.com/owner/other.git", "name": "project"])
        XCTAssertEqual(twice.status, 400)
        XCTAssertTrue(twice.text.contains("added already"), twice.text)

        try FileSystem.writeAtomically(Array("{not json".utf8), to: app.stateDir + "/repos.json")
        XCTAssertThrowsError(try AddedRepos(stateDir: app.stateDir)) { error in
            XCTAssertTrue("\(error)".contains("repos.json") && "\(error)".contains("remove it"), "\(error)")
        }
    }
}
