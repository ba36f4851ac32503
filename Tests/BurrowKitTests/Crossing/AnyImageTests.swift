@testable import BurrowKit
@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman
import Foundation
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// The whole lifecycle in images that were not made for Burrow: no /workspace at all, or one owned
/// by root (most images), with an agent user that is not uid 1000.
final class AnyImageTests: XCTestCase {
    func image(_ name: String, _ steps: String) async throws -> String {
        let podman = try await PodmanTestEnvironment.client()
        var tar = TarWriter()
        tar.addFile("Containerfile", Array("""
        FROM \(PodmanTestEnvironment.image)
        USER root
        \(steps)
        RUN echo 'dev:x:4321:4321:dev:/home/dev:/bin/sh' >> /etc/passwd && echo 'dev:x:4321:' >> /etc/group \
            && mkdir -p /home/dev && chown 4321:4321 /home/dev && cp /home/agent/.gitconfig /home/dev/ && chown 4321 /home/dev/.gitconfig
        USER dev
        ENV HOME=/home/dev
        """.utf8))
        let tag = "localhost/burrow-anyimage-\(name):\(BurrowRecord.newID())"
        var options = ImageBuildOptions(dockerfile: "Containerfile", tags: [tag])
        options.pull = .never
        _ = try await podman.buildImage(context: .bytes(tar.finished()), options) { _ in }
        addTeardownBlock { try? await podman.removeImage(tag) }
        return tag
    }

    func checkLifecycle(image: String) async throws {
        let app = try await BurrowTestApp { config in
            config.image = image
            config.agentUser = "dev"
        }
        addTeardownBlock { await app.cleanUp() }
        let record = try await app.launch("first turn TEXT=one")
        let first = try await app.finished(record.id, within: 90)
        XCTAssertEqual(first.state, .succeeded, first.error ?? "")
        XCTAssertEqual(first.user, AgentIdentity(uid: 4321, gid: 4321))
        XCTAssertEqual(first.branch, "burrow/\(record.id)")
        let events = String(decoding: try FileSystem.readFile(app.stateDir + "/burrows/\(record.id)/events.ndjson"), as: UTF8.self)
        XCTAssertTrue(events.contains("stand-in agent starting in /workspace as dev"), "ran as dev in /workspace")
        XCTAssertFalse(events.contains("git commit failed"), "the agent could commit in its workspace")
        _ = try await app.manager.sendMessage(record.id, text: "second turn TEXT=two")
        let second = try await app.finished(record.id, within: 90)
        XCTAssertEqual(second.turn, 2)
        XCTAssertEqual(second.state, .succeeded, second.error ?? "")
        let log = try await Subprocess.check(["git", "-C", app.repoPath, "log", "--format=%s", "burrow/\(record.id)"]).stdout
        XCTAssertTrue(log.hasPrefix("burrow \(record.id): turn 2"), log)
        try await app.manager.teardown(record.id, purge: false)
        let workspace = try await app.manager.podman.volumeExists(record.workspaceVolume)
        XCTAssertFalse(workspace)

        // The next launch is over the repo's template, whose volume the agent's container may be the
        // first to mount: the image's /workspace must not take the workspace from the agent then.
        await app.manager.crossing.templates.settle()
        let over = try await app.launch("over the template TEXT=three")
        let third = try await app.finished(over.id, within: 90)
        XCTAssertEqual(third.state, .succeeded, third.error ?? "")
        let volume = try await app.manager.podman.inspectVolume(over.workspaceVolume)
        XCTAssertEqual(volume.driver, "image", "the second launch is over the template")
        let overEvents = String(decoding: try FileSystem.readFile(app.stateDir + "/burrows/\(over.id)/events.ndjson"), as: UTF8.self)
        XCTAssertFalse(overEvents.contains("git commit failed"), "the agent could commit in its workspace over the template")
        let overLog = try await Subprocess.check(["git", "-C", app.repoPath, "log", "--format=%s", "burrow/\(over.id)"]).stdout
        XCTAssertFalse(overLog.isEmpty, "its work came home")
    }

    func testAnImageWithoutWorkspace() async throws {
        try await checkLifecycle(image: try await image("noworkspace", "RUN rm -rf /workspace"))
    }

    func testAnImageWithARootOwnedWorkspace() async throws {
        try await checkLifecycle(image: try await image("rootworkspace", "RUN chown root:root /workspace && chmod 755 /workspace"))
    }
}
