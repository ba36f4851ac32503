@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import Foundation
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// The second "machine" prepared by scripts/runner-env.sh: sshd on 127.0.0.1 and the user
/// `burrowrunner` with its own rootless Podman. Without it, runner tests skip when run by hand and
/// fail under scripts/test.sh as root (BURROW_REQUIRE_PODMAN=1; only root can make the second machine).
enum RunnerTestEnvironment {
    static func value(_ name: String) -> String? { FileSystem.environment("BURROW_TEST_RUNNER_" + name) }

    /// The test runner as a config entry named `name`: its socket left to `auto` (resolved over SSH).
    static func runner(_ name: String = "far", maxConcurrent: Int = 4) throws -> RunnerConfig {
        guard let host = value("HOST"), let port = value("PORT"), let user = value("USER"),
              let identity = value("IDENTITY"), let knownHosts = value("KNOWN_HOSTS") else {
            if FileSystem.environment("BURROW_REQUIRE_PODMAN") == "1" && FileSystem.userID == 0 {
                throw RunnerError.unreachable("$BURROW_TEST_RUNNER_* unset: run `eval \"$(scripts/runner-env.sh)\"` as root first")
            }
            throw XCTSkip("no test runner: run `eval \"$(scripts/runner-env.sh)\"` as root first, or use scripts/test.sh")
        }
        var runner = RunnerConfig(name: name, ssh: "\(user)@\(host):\(port)")
        runner.identityFile = identity
        runner.knownHostsFile = knownHosts
        runner.maxConcurrent = maxConcurrent
        runner.reconnectSeconds = 60
        return runner
    }

    /// Burrow's config for tests that must run remotely: the local runner takes no repo.
    static func configure(_ config: inout Config, runner: RunnerConfig) {
        var local = RunnerConfig(name: RunnerConfig.localName)
        local.repos = []
        config.runners = [local, runner]
    }

    /// A Burrow whose burrows all run on the test runner.
    static func app(maxConcurrent: Int = 4, configure: (inout Config) -> Void = { _ in }) async throws -> BurrowTestApp {
        let runner = try runner(maxConcurrent: maxConcurrent)
        return try await BurrowTestApp { config in
            Self.configure(&config, runner: runner)
            configure(&config)
        }
    }

    /// Kills the runner's SSH master process (its pid as OpenSSH's `-O check` reports it).
    static func killMaster(_ tunnel: SSHTunnel) async throws {
        let check = try await Subprocess.run(["ssh"] + tunnel.options + ["-O", "check", tunnel.destination.host])
        let text = check.stderr + check.stdout
        let pid = try XCTUnwrap(text.range(of: "pid=").map { Int32(text[$0.upperBound...].prefix { $0.isNumber }) } ?? nil, text)
        XCTAssertEqual(kill(pid, SIGKILL), 0, "the SSH master was killed")
    }

    /// Removes what a test made on the runner (containers, volumes, the repo's template image).
    static func cleanUp(_ app: BurrowTestApp) async {
        for runner in app.manager.runners { try? await runner.remote?.tunnel.waitConnected() }
        await app.manager.endRuns()
        for record in await app.manager.list() {
            _ = try? await app.manager.stop(record.id)
            let podman = await app.manager.podman(for: record.id)
            for container in (try? await podman.listContainers(label: "io.burrow.id=\(record.id)")) ?? [] {
                try? await podman.remove(container.id)
            }
            try? await podman.removeVolume(record.workspaceVolume, force: true)
            try? await podman.removeVolume(record.configVolume, force: true)
        }
        let key = RepoStore.key(RepoConfig(name: "demo", path: app.repoPath))
        for runner in app.manager.runners where runner.remote != nil {
            for volume in (try? await runner.podman.listVolumes(label: "io.burrow.cache=\(app.cacheName)")) ?? [] {
                try? await runner.podman.removeVolume(volume.name, force: true)
            }
            for image in (try? await runner.podman.listImages(label: "io.burrow.template")) ?? []
            where image.labels?["io.burrow.template"]?.hasPrefix(key) == true {
                try? await runner.podman.removeImage(image.id)
            }
        }
        await app.cleanUp()
        await app.manager.shutdown()
    }
}
