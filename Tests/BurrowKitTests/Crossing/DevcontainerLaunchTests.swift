@testable import BurrowKit
@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman
import Foundation
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// A repo whose config asks for its devcontainer.json launches from it: the built image, its env,
/// its setup commands before the agent, and what Burrow does not apply on the record.
final class DevcontainerLaunchTests: XCTestCase {
    func testABurrowLaunchesFromTheReposDevcontainer() async throws {
        let attack = try await AttackBurrow.make(self) { config in
            config.repos[0].devcontainer = .standard
        }
        let repo = attack.app.repoPath
        try FileSystem.createDirectories(repo + "/.devcontainer")
        try FileSystem.writeAtomically(Array("""
        FROM \(PodmanTestEnvironment.image)
        USER root
        RUN echo built-by-dockerfile > /built.txt
        ENV FROM_BUILD=1
        USER agent
        """.utf8), to: repo + "/.devcontainer/Dockerfile")
        try FileSystem.writeAtomically(Array("""
        {
          // comments and trailing commas, as editors write them
          "build": { "dockerfile": "Dockerfile" },
          "containerEnv": { "DC_ENV": "from-containerEnv" },
          "postCreateCommand": "echo setup-ran > /tmp/setup.txt",
          "forwardPorts": [3000],
        }
        """.utf8), to: repo + "/.devcontainer/devcontainer.json")
        try await Subprocess.check(["git", "-C", repo, "add", ".devcontainer"])
        try await Subprocess.check(["git", "-C", repo, "-c", "user.name=u", "-c", "user.email=u@u", "commit", "-qm", "devcontainer"])
        let key = RepoStore.key(RepoConfig(name: "demo", path: repo))
        addTeardownBlock {
            for image in (try? await attack.app.manager.podman.listImages(label: "io.burrow.devcontainer")) ?? []
            where image.names?.contains(where: { $0.contains("burrow-devcontainer-\(key)") }) == true {
                try? await attack.app.manager.podman.removeImage(image.id)
            }
        }
        let record = try await attack.run("""
        cat /built.txt; echo "env $FROM_BUILD $DC_ENV"; cat /tmp/setup.txt; echo work > /workspace/DC.txt
        """, within: 180)
        XCTAssertEqual(record.state, .succeeded, record.error ?? "")
        let events = String(decoding: try FileSystem.readFile(attack.app.stateDir + "/burrows/\(record.id)/events.ndjson"), as: UTF8.self)
        XCTAssertTrue(events.contains("built-by-dockerfile"), "the agent ran in the built image")
        // The build's lines come before the agent's: reconciling with the container's log after the
        // exit must not take them for its output and add every line of it again.
        XCTAssertEqual(events.components(separatedBy: #""text":"built-by-dockerfile""#).count - 1, 1, "each line of the agent's once:\n\(events)")
        XCTAssertEqual(events.components(separatedBy: "env 1 from-containerEnv").count - 1, 1, "each line of the agent's once")
        XCTAssertTrue(events.contains("env 1 from-containerEnv"), "the image's ENV and containerEnv")
        XCTAssertTrue(events.contains("setup-ran"), "postCreateCommand ran before the agent")
        XCTAssertTrue(events.contains("devcontainer: building"), "the build's output is in the transcript")
        XCTAssertTrue(record.devcontainer?.unsupported.contains { $0.contains("forwardPorts") } == true, "\(record.devcontainer?.unsupported ?? [])")
        let files = try await attack.branchFiles(record)
        XCTAssertTrue(files.contains("DC.txt"), files)
    }
}
