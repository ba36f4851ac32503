@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman
@testable import BurrowKit
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// A user's repository with a devcontainer, Burrow's store of it, and plans read at pinned commits.
final class DevcontainerRepo: @unchecked Sendable {
    let path: String
    let stateDir: String
    let store: RepoStore
    var repo: RepoConfig

    init(devcontainer: DevcontainerSetting? = .standard) async throws {
        path = try TemporaryDirectory.make("burrow-devc-repo")
        try await Subprocess.check(["git", "-C", path, "init", "--quiet", "-b", "main"])
        stateDir = try TemporaryDirectory.make("burrow-devc-state")
        store = try RepoStore(directory: stateDir + "/repos")
        repo = RepoConfig(name: "devc", path: path)
        repo.devcontainer = devcontainer
    }

    deinit {
        FileSystem.removeTree(path)
        FileSystem.removeTree(stateDir)
    }

    /// Writes `files` (path → content; nil removes), commits, and pins the commit in the store.
    @discardableResult
    func commit(_ files: [String: String?], symlinks: [String: String] = [:]) async throws -> String {
        for (file, content) in files {
            let full = path + "/" + file
            if let content {
                try FileSystem.createDirectories(RepoPathTest.directory(full))
                try FileSystem.writeAtomically(Array(content.utf8), to: full)
            } else {
                FileSystem.remove(full)
            }
        }
        for (link, target) in symlinks {
            try FileSystem.createDirectories(RepoPathTest.directory(path + "/" + link))
            try await Subprocess.check(["ln", "-sf", target, path + "/" + link])
        }
        try await Subprocess.check(["git", "-C", path, "add", "-A"])
        try await Subprocess.check(["git", "-C", path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet", "--allow-empty", "-m", "c"])
        return try await store.fetch(repo).commit
    }

    func plan(_ commit: String, podman: PodmanClient, log: @escaping @Sendable (String) -> Void = { _ in }) async throws -> DevcontainerPlan? {
        try await Devcontainer.plan(repo: repo, store: store, commit: commit, podman: podman, pull: .never, log: log)
    }
}

enum RepoPathTest {
    static func directory(_ path: String) -> String { String(path[..<path.lastIndex(of: "/")!]) }
}

/// Reading devcontainers out of Burrow's store: no Podman needed (an `image` config never calls it).
final class DevcontainerStoreTests: XCTestCase {
    let noPodman = PodmanClient(socketPath: "/nonexistent/podman.sock")

    func testImageConfigAtEachPinnedCommit() async throws {
        let repo = try await DevcontainerRepo()
        let first = try await repo.commit([".devcontainer/devcontainer.json": """
        {
          // comments and trailing commas, as editors write them
          "image": "localhost/burrow-test-agent:latest",
          "containerEnv": {"GREETING": "hello",},
          "remoteUser": "agent",
          "postCreateCommand": "echo ready > /tmp/ready",
          "forwardPorts": [8080], "customizations": {"vscode": {"extensions": []}}, "features": {"ghcr.io/devcontainers/features/node:1": {}},
        }
        """])
        let plan = try await repo.plan(first, podman: noPodman)
        XCTAssertEqual(plan, DevcontainerPlan(file: ".devcontainer/devcontainer.json", image: "localhost/burrow-test-agent:latest", built: false,
                                              env: ["GREETING": "hello"], user: "agent", setupCommands: [["/bin/sh", "-c", "echo ready > /tmp/ready"]],
                                              unsupported: ["forwardPorts", "customizations", "features"], buildLog: plan?.buildLog ?? []))
        XCTAssertTrue(plan?.buildLog.contains { $0.contains("forwardPorts, customizations, features") } ?? false, "the log says what is not applied")
        // The working tree and later commits do not change what an earlier commit's plan reads.
        let second = try await repo.commit([".devcontainer/devcontainer.json": nil, ".devcontainer.json": #"{"image": "localhost/other:1"}"#])
        try FileSystem.writeAtomically(Array("{broken".utf8), to: repo.path + "/.devcontainer.json")
        let earlier = try await repo.plan(first, podman: noPodman)
        XCTAssertEqual(earlier?.image, "localhost/burrow-test-agent:latest")
        let later = try await repo.plan(second, podman: noPodman)
        XCTAssertEqual(later?.file, ".devcontainer.json", "the spec's second standard place")
        XCTAssertEqual(later?.image, "localhost/other:1")
    }

    func testOffAbsentAndNamedPaths() async throws {
        let repo = try await DevcontainerRepo(devcontainer: nil)
        let commit = try await repo.commit(["README.md": "x", ".devcontainer/gpu/devcontainer.json": #"{"image": "localhost/gpu:1"}"#])
        let none = try await repo.plan(commit, podman: noPodman)
        XCTAssertNil(none, "no setting: no devcontainer")
        repo.repo.devcontainer = .off
        let off = try await repo.plan(commit, podman: noPodman)
        XCTAssertNil(off)
        repo.repo.devcontainer = .standard
        let absent = try await repo.plan(commit, podman: noPodman)
        XCTAssertNil(absent, "true and none in the standard places: nothing to apply")
        repo.repo.devcontainer = .path(".devcontainer/gpu/devcontainer.json")
        let named = try await repo.plan(commit, podman: noPodman)
        XCTAssertEqual(named?.image, "localhost/gpu:1")
        repo.repo.devcontainer = .path(".devcontainer/missing.json")
        await XCTAssertThrowsAsync(try await repo.plan(commit, podman: self.noPodman)) { XCTAssertTrue("\($0)".contains("has no .devcontainer/missing.json"), "\($0)") }
    }

    func testHostileFilesAreRefusedClearly() async throws {
        let repo = try await DevcontainerRepo()
        let broken = try await repo.commit([".devcontainer/devcontainer.json": "{\n\"image\": \"x\"\n\"oops\": 1}"])
        await XCTAssertThrowsAsync(try await repo.plan(broken, podman: self.noPodman)) {
            XCTAssertTrue("\($0)".contains(".devcontainer/devcontainer.json is not valid JSON with comments: line 3"), "\($0)")
        }
        let huge = try await repo.commit([".devcontainer/devcontainer.json": "{\"image\": \"x\"}" + String(repeating: " ", count: 10 << 20)])
        await XCTAssertThrowsAsync(try await repo.plan(huge, podman: self.noPodman)) { XCTAssertTrue("\($0)".contains("over the 1048576-byte limit"), "\($0)") }
        let link = try await repo.commit([".devcontainer/devcontainer.json": nil], symlinks: [".devcontainer/devcontainer.json": "/etc/passwd"])
        await XCTAssertThrowsAsync(try await repo.plan(link, podman: self.noPodman)) { XCTAssertTrue("\($0)".contains("symbolic link"), "\($0)") }
        let escape = try await repo.commit([".devcontainer/devcontainer.json": #"{"build": {"dockerfile": "Dockerfile", "context": "../../.."}}"#])
        await XCTAssertThrowsAsync(try await repo.plan(escape, podman: self.noPodman)) {
            XCTAssertTrue("\($0)".contains("\"build.context\" is '../../..', outside the repository"), "\($0)")
        }
        let noDockerfile = try await repo.commit([".devcontainer/devcontainer.json": #"{"build": {"dockerfile": "Nope"}}"#])
        await XCTAssertThrowsAsync(try await repo.plan(noDockerfile, podman: self.noPodman)) {
            XCTAssertTrue("\($0)".contains("has no .devcontainer/Nope"), "\($0)")
        }
        await XCTAssertThrowsAsync(try await repo.plan("--output=/tmp/x", podman: self.noPodman)) { XCTAssertTrue("\($0)".contains("not a commit id"), "\($0)") }
    }
}

func XCTAssertThrowsAsync<T>(_ expression: @autoclosure () async throws -> T, file: StaticString = #filePath, line: UInt = #line,
                             _ check: (any Error) -> Void = { _ in }) async {
    do {
        _ = try await expression()
        XCTFail("expected an error", file: file, line: line)
    } catch {
        check(error)
    }
}
