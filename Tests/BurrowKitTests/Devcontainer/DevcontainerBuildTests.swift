@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman
@testable import BurrowKit
import Foundation
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// `build.dockerfile` through libpod's build API against the real test Podman (local images only).
final class DevcontainerBuildTests: XCTestCase {
    private var cleanups: [@Sendable () async -> Void] = []

    override func tearDown() async throws {
        for cleanup in cleanups.reversed() { await cleanup() }
        cleanups = []
    }

    private func removeImagesAfterwards(_ repo: DevcontainerRepo, podman: PodmanClient) {
        let key = RepoStore.key(repo.repo)
        cleanups.append {
            for image in (try? await podman.listImages(label: "\(DevcontainerImage.repoLabel)=\(key)")) ?? [] {
                try? await podman.removeImage(image.id, force: true)
            }
        }
    }

    /// Runs `command` in `image` as `user`, returning stdout and stderr apart.
    private func runSplit(_ image: String, _ command: [String], user: String?, podman: PodmanClient) async throws -> (Int32, String, String) {
        var spec = ContainerSpec(image: image)
        spec.command = command
        spec.user = user
        spec.workDir = "/tmp"
        spec.name = PodmanTestEnvironment.uniqueName("burrow-devc-setup")
        let created = try await podman.createContainer(spec)
        cleanups.append { try? await podman.remove(created.id) }
        try await podman.start(created.id)
        let code = try await podman.wait(created.id)
        let logs = try await podman.logs(created.id, follow: false)
        var out = "", err = ""
        while let frames = try await logs.next() {
            for frame in frames {
                if frame.stream == .stdout { out += String(decoding: frame.payload, as: UTF8.self) } else { err += String(decoding: frame.payload, as: UTF8.self) }
            }
        }
        try await podman.remove(created.id)
        return (code, out, err)
    }

    /// Runs `command` in `image` and returns its exit code and output (the container is removed: an image
    /// a container still uses is not removed by a later build).
    private func run(_ image: String, _ command: [String], podman: PodmanClient) async throws -> (Int32, String) {
        var spec = ContainerSpec(image: image)
        spec.command = command
        spec.name = PodmanTestEnvironment.uniqueName("burrow-devc-run")
        let created = try await podman.createContainer(spec)
        cleanups.append { try? await podman.remove(created.id) }
        try await podman.start(created.id)
        let code = try await podman.wait(created.id)
        let logs = try await podman.logs(created.id, follow: false)
        var text = ""
        while let frames = try await logs.next() { for frame in frames { text += String(decoding: frame.payload, as: UTF8.self) } }
        try await podman.remove(created.id)
        return (code, text)
    }

    func testBuildsOnceReusesAnUnchangedContextAndRebuildsAChangedOne() async throws {
        let podman = try await PodmanTestEnvironment.client()
        let repo = try await DevcontainerRepo()
        removeImagesAfterwards(repo, podman: podman)
        let config = """
        {
          "build": {"dockerfile": "Dockerfile", "context": ".", "args": {"FLAVOUR": "plain"}},  // context: the .devcontainer folder
          "containerEnv": {"FROM_CONFIG": "1"},
          "onCreateCommand": ["cat", "/built.txt"],
          "postCreateCommand": {"greet": "echo hi", "list": ["ls", "/"]},
        }
        """
        let dockerfile = """
        FROM \(PodmanTestEnvironment.image)
        ARG FLAVOUR
        USER root
        RUN echo built-$FLAVOUR > /built.txt
        COPY hello.txt /hello.txt
        ENV FROM_BUILD=1
        USER agent
        """
        let first = try await repo.commit([".devcontainer/devcontainer.json": config, ".devcontainer/Dockerfile": dockerfile,
                                           ".devcontainer/hello.txt": "from the context\n", "README.md": "one"])
        let streamed = Locked<[String]>([])
        let plan = try await repo.plan(first, podman: podman) { line in streamed.withLock { $0.append(line) } }
        let built = try XCTUnwrap(plan)
        XCTAssertTrue(built.built)
        XCTAssertTrue(built.image.hasPrefix("localhost/burrow-devcontainer-devc-"), built.image)
        XCTAssertTrue(built.buildLog.contains { $0.contains("RUN echo built-$FLAVOUR") }, "Podman's step output is on the plan: \(built.buildLog)")
        XCTAssertEqual(streamed.withLock { $0 }, built.buildLog, "and was streamed to the callback as it came")
        XCTAssertEqual(built.env, ["FROM_CONFIG": "1"])
        XCTAssertEqual(built.setupCommands, [["cat", "/built.txt"], ["/bin/sh", "-c", "echo hi"], ["ls", "/"]])
        let (code, output) = try await run(built.image, ["sh", "-c", "cat /built.txt /hello.txt; echo env=$FROM_BUILD"], podman: podman)
        XCTAssertEqual(code, 0)
        XCTAssertEqual(output, "built-plain\nfrom the context\nenv=1\n", "RUN, ARG, COPY from the context and ENV took effect")

        // The setup program as the lead runs it: in the image, as the plan's user, before the agent.
        let setup = ["/bin/sh", "-c", built.setupScript, "devcontainer-setup", "sh", "-c", "echo agent-ran as $(id -un)"]
        let (setupCode, setupOut, setupErr) = try await runSplit(built.image, setup, user: built.user ?? "agent", podman: podman)
        XCTAssertEqual(setupCode, 0, setupErr)
        XCTAssertEqual(setupOut, "agent-ran as agent\n", "stdout is the agent's alone")
        XCTAssertTrue(setupErr.contains("devcontainer: [1/3] cat /built.txt\nbuilt-plain\n"), setupErr)
        XCTAssertTrue(setupErr.contains("devcontainer: [2/3] echo hi\nhi\n"), setupErr)

        // A commit that changes nothing in the context: the same tag, no build.
        let second = try await repo.commit(["README.md": "two"])
        let started = Monotonic.now()
        let reusedPlan = try await repo.plan(second, podman: podman)
        let reused = try XCTUnwrap(reusedPlan)
        let reuseMs = (Monotonic.now() - started) / 1_000_000
        XCTAssertFalse(reused.built)
        XCTAssertEqual(reused.image, built.image)
        XCTAssertTrue(reused.buildLog.contains { $0.contains("built earlier") }, "\(reused.buildLog)")
        XCTAssertFalse(reused.buildLog.contains { $0.contains("STEP") }, "no build ran")
        XCTAssertLessThan(reuseMs, 5_000, "reuse only lists git trees and asks Podman whether the tag exists")

        // The Dockerfile moved outside the context (the spec allows it) and changed: a new image; the old one goes.
        let third = try await repo.commit([".devcontainer/Dockerfile": nil, ".devcontainer/devcontainer.json":
            #"{"build": {"dockerfile": "../docker/Dockerfile", "context": "."}}"#,
            "docker/Dockerfile": dockerfile.replacingOccurrences("built-$FLAVOUR", with: "moved")])
        let rebuiltPlan = try await repo.plan(third, podman: podman)
        let rebuilt = try XCTUnwrap(rebuiltPlan)
        XCTAssertTrue(rebuilt.built)
        XCTAssertNotEqual(rebuilt.image, built.image)
        let (movedCode, movedOutput) = try await run(rebuilt.image, ["cat", "/built.txt", "/hello.txt"], podman: podman)
        XCTAssertEqual(movedCode, 0)
        XCTAssertEqual(movedOutput, "moved\nfrom the context\n")
        let oldKept = try await podman.imageExists(built.image)
        XCTAssertTrue(oldKept, "the newest \(DevcontainerImage.keptPerRepo) stay: switching back to the first branch needs no rebuild")
        await DevcontainerImage.removeOlder(than: rebuilt.image, repoKey: RepoStore.key(repo.repo), podman: podman, keep: 1)
        let oldGone = try await podman.imageExists(built.image)
        let newKept = try await podman.imageExists(rebuilt.image)
        XCTAssertFalse(oldGone, "past the newest few, a repo's older devcontainer images are removed")
        XCTAssertTrue(newKept)
    }

    func testConcurrentLaunchesShareOneBuild() async throws {
        let podman = try await PodmanTestEnvironment.client()
        let repo = try await DevcontainerRepo()
        removeImagesAfterwards(repo, podman: podman)
        let commit = try await repo.commit([".devcontainer/devcontainer.json": #"{"build": {"dockerfile": "Dockerfile"}}"#,
                                            ".devcontainer/Dockerfile": "FROM \(PodmanTestEnvironment.image)\nRUN sleep 1\n"])
        async let first = repo.plan(commit, podman: podman)
        async let second = repo.plan(commit, podman: podman)
        let plans = try await [first, second].compactMap { $0 }
        XCTAssertEqual(plans.count, 2)
        XCTAssertEqual(plans.filter(\.built).count, 1, "one build: \(plans.map(\.buildLog))")
        XCTAssertEqual(plans.flatMap(\.buildLog).filter { $0.hasPrefix("STEP 1/") }.count, 1, "Podman ran one build: \(plans.map(\.buildLog))")
        XCTAssertEqual(plans[0].image, plans[1].image)
    }

    /// Untagged images and buildah working containers ("external" to Podman's container list).
    private func buildLeftovers(_ podman: PodmanClient) async throws -> Set<String> {
        struct Item: Decodable { let Id: String; let Names: [String]? }
        let prefix = "/v\(max(4, try await podman.version().major)).0.0/libpod"
        let images = try await podman.http.send(ClientRequest("GET", prefix + "/images/json?all=true"))
        let containers = try await podman.http.send(ClientRequest("GET", prefix + "/containers/json?all=true&external=true"))
        let untagged = try JSONDecoder().decode([Item].self, from: Data(images.body)).filter { ($0.Names ?? []).isEmpty }.map { "image " + $0.Id }
        let working = try JSONDecoder().decode([Item].self, from: Data(containers.body))
            .filter { ($0.Names ?? []).contains { $0.hasSuffix("-working-container") } }.map { "container " + $0.Id }
        return Set(untagged + working)
    }

    func testAFailedBuildIsAClearError() async throws {
        let podman = try await PodmanTestEnvironment.client()
        let repo = try await DevcontainerRepo()
        removeImagesAfterwards(repo, podman: podman)
        let missingBase = try await repo.commit([".devcontainer/devcontainer.json": #"{"build": {"dockerfile": "Dockerfile"}}"#,
                                                 ".devcontainer/Dockerfile": "FROM localhost/burrow-no-such-base:latest\n"])
        await XCTAssertThrowsAsync(try await repo.plan(missingBase, podman: podman)) {
            XCTAssertTrue("\($0)".contains("building the devcontainer image localhost/burrow-devcontainer-devc-"), "\($0)")
            XCTAssertTrue("\($0)".contains("image not known"), "Podman's reason is kept: \($0)")
        }
        let before = try await buildLeftovers(podman)
        let failingStep = try await repo.commit([".devcontainer/Dockerfile": "FROM \(PodmanTestEnvironment.image)\nUSER root\nRUN echo step > /step\nRUN head -c 20000 /dev/zero | tr '\\0' y; echo; echo about to fail && exit 3\n"])
        let lines = Locked<[String]>([])
        await XCTAssertThrowsAsync(try await repo.plan(failingStep, podman: podman) { line in lines.withLock { $0.append(line) } }) {
            XCTAssertTrue("\($0)".contains("exit status 3"), "\($0)")
        }
        XCTAssertTrue(lines.withLock { $0 }.contains("about to fail"), "the step's own output reached the log: \(lines.withLock { $0 })")
        let longest = lines.withLock { $0 }.max { $0.utf8.count < $1.utf8.count } ?? ""
        XCTAssertTrue(longest.hasPrefix("yyyy") && longest.hasSuffix("…") && longest.utf8.count <= Devcontainer.maxLineBytes + 3,
                      "a 20000-byte output line is cut at \(Devcontainer.maxLineBytes) bytes: \(longest.utf8.count)")
        // Podman streams the error before it has cleaned up: give it a few seconds.
        var left = try await buildLeftovers(podman).subtracting(before)
        for _ in 0..<50 where !left.isEmpty {
            try await Task.sleep(for: .milliseconds(200))
            left = try await buildLeftovers(podman).subtracting(before)
        }
        XCTAssertEqual(left, [], "a failed build leaves no untagged step images and no build containers")
    }
}
