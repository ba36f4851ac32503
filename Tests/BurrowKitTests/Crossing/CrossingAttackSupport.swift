@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import Foundation
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// Burrows whose "agent" is a shell script (the attack): `sh -c TASK` in the test image.
struct AttackBurrow {
    let app: BurrowTestApp
    /// Files an attack would create on the host if anything it planted ran here.
    let marker: String

    /// A test app whose containers, volumes and images are removed when `test` ends, passed or failed.
    static func make(_ test: XCTestCase, configure: (inout Config) -> Void = { _ in }) async throws -> AttackBurrow {
        let app = try await BurrowTestApp { config in
            config.agentCommand = ["sh", "-c"]
            config.taskInput = .argument
            configure(&config)
        }
        test.addTeardownBlock { await app.cleanUp() }
        return AttackBurrow(app: app, marker: "/tmp/burrow-escaped-\(BurrowRecord.newID())")
    }

    /// Runs the attack to the end and returns the record.
    func run(_ script: String, within seconds: Double = 120) async throws -> BurrowRecord {
        let record = try await app.launch(script.replacingOccurrences(of: "MARKER", with: marker))
        let finished = try await app.finished(record.id, within: seconds)
        if finished.state != .succeeded {
            let lines = try FileSystem.readFile(app.stateDir + "/burrows/\(record.id)/events.ndjson")
            print("attack \(record.id) ended \(finished.state): \(String(decoding: lines.suffix(3000), as: UTF8.self))")
        }
        return finished
    }

    /// Every host file whose name starts with the marker: must stay empty.
    func escapes() -> [String] {
        let name = String(marker.split(separator: "/").last!)
        return FileSystem.listDirectory("/tmp").filter { $0.hasPrefix(name) }
    }

    func branchFiles(_ record: BurrowRecord) async throws -> String {
        try await Subprocess.check(["git", "-C", app.repoPath, "ls-tree", "-r", "--full-tree", "burrow/\(record.id)"]).stdout
    }

    func branchLog(_ record: BurrowRecord) async throws -> [String] {
        try await Subprocess.check(["git", "-C", app.repoPath, "log", "--format=%s", "burrow/\(record.id)"]).stdout
            .split(separator: "\n").map(String.init)
    }

    func patch(_ record: BurrowRecord) throws -> String {
        String(decoding: (try? FileSystem.readFile(app.stateDir + "/burrows/\(record.id)/result.patch")) ?? [], as: UTF8.self)
    }

    /// The `io.burrow.template` labels of the demo repo's template images: `key-uid-gid`, the owner
    /// being the agent as Podman's namespace sees it (so the uid tells the id range).
    func templateOwners() async throws -> Set<String> {
        let key = RepoStore.key(RepoConfig(name: "demo", path: app.repoPath))
        return Set(try await app.manager.podman.listImages(label: "io.burrow.template").compactMap { image in
            image.labels?["io.burrow.template"].flatMap { $0.hasPrefix(key + "-") ? String($0.dropFirst(key.count + 1)) : nil }
        })
    }

    /// A template owner (`uid-gid`) for `record`'s agent in id range `index`.
    func owner(_ record: BurrowRecord, range index: Int) -> String {
        let user = record.user ?? AgentIdentity(uid: 1000, gid: 1000)
        let size = record.ids?.size ?? BurrowIDRanges.defaultSize
        return "\(index * size + user.uid)-\(index * size + user.gid)"
    }

    /// Commits in the user's repo the way a user would, for launches on a new base.
    func userCommit(_ file: String, _ text: String) async throws {
        try FileSystem.writeAtomically(Array(text.utf8), to: app.repoPath + "/" + file)
        try await Subprocess.check(["git", "-C", app.repoPath, "add", file])
        try await Subprocess.check(["git", "-C", app.repoPath, "-c", "user.name=u", "-c", "user.email=u@u", "commit", "--quiet", "-m", "user: \(file)"])
    }
}
