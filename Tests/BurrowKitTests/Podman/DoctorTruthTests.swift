@testable import BurrowKit
@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman
import Glibc
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// `burrow doctor` says what a launch will meet: the state dir as Podman's user sees it, repos and
/// refs, the agent's program and workspace in the image, and the GPU devices as Podman resolves them.
final class DoctorTruthTests: XCTestCase {
    func podmanUID() async throws -> UInt32 {
        _ = try await PodmanTestEnvironment.client()
        return try XCTUnwrap(FileSystem.status(PodmanTestEnvironment.socket!)?.owner)
    }

    func config(_ edit: (inout Config) -> Void = { _ in }) throws -> Config {
        var config = Config()
        config.podmanSocket = PodmanTestEnvironment.socket ?? "auto"
        config.image = PodmanTestEnvironment.image
        config.stateDir = try TemporaryDirectory.make("doctor-state")
        edit(&config)
        return config
    }

    func testAStateDirUnderAFolderPodmansUserCannotEnterFailsAndNamesTheUser() async throws {
        let uid = try await podmanUID()
        try XCTSkipIf(uid == getuid(), "Podman runs as this test's own user: every folder here is reachable")
        let base = try TemporaryDirectory.make("doctor-home")
        chmod(base, 0o755)
        let home = base + "/home"
        let state = home + "/.local/state/burrow"
        try FileSystem.createDirectories(state, mode: 0o755)
        chmod(home, 0o700)
        var config = try self.config()
        config.stateDir = state
        let findings = DoctorChecks.stateDir(config, podmanUID: uid)
        XCTAssertEqual(findings.map(\.level), [.fail], "\(findings)")
        XCTAssertTrue(findings[0].text.contains(home + " (mode 700") && findings[0].text.contains(UserNames.name(of: uid)), findings[0].text)
        XCTAssertTrue(findings[0].fix?.contains("chmod o+x \(home)") == true, findings[0].fix ?? "")
        // The whole doctor fails on it.
        let file = base + "/burrow.json"
        try FileSystem.writeAtomically(Array(#"{"podmanSocket": "\#(config.podmanSocket)", "image": "\#(config.image)", "stateDir": "\#(state)", "gpuDevices": []}"#.utf8), to: file)
        let passes = await DoctorCommand.run(configPath: file)
        XCTAssertFalse(passes)
        // Traversable (not listable) is enough.
        chmod(home, 0o711)
        XCTAssertEqual(DoctorChecks.stateDir(config, podmanUID: uid).map(\.level), [.ok])
        chmod(home, 0o700)
        XCTAssertEqual(DoctorChecks.stateDir(config, podmanUID: 0).map(\.level), [.ok], "root reaches everything")
    }

    func testReposMustExistWithTheirRefs() async throws {
        let repo = try await BurrowTestApp.makeRepo()
        let notGit = try TemporaryDirectory.make("doctor-plain")
        let config = try self.config { config in
            config.repos = [RepoConfig(name: "good", path: repo), { var r = RepoConfig(name: "branch", path: repo); r.ref = "main"; return r }(),
                            { var r = RepoConfig(name: "noref", path: repo); r.ref = "no-such-branch"; return r }(), RepoConfig(name: "gone", path: "/nonexistent/repo"),
                            RepoConfig(name: "plain", path: notGit)]
        }
        let findings = await DoctorChecks.repos(config)
        XCTAssertEqual(findings.map(\.subject), ["repo good", "repo branch", "repo noref", "repo gone", "repo plain"])
        XCTAssertEqual(findings.map(\.level), [.ok, .ok, .fail, .fail, .fail], "\(findings)")
        XCTAssertTrue(findings[2].text.contains("no branch or tag 'no-such-branch'"), findings[2].text)
    }

    func testTheImageProbeChecksTheAgentsProgramUserAndWorkspace() async throws {
        let podman = try await PodmanTestEnvironment.client()
        let image = PodmanTestEnvironment.image
        let good = await DoctorChecks.image(image, podman: podman, config: try config(), podmanUser: "burrowtest")
        XCTAssertEqual(good.map(\.level), [.ok], "\(good)")
        XCTAssertTrue(good[0].text.contains("claude is /usr/local/bin/claude") && good[0].text.contains("uid 1000, who gets a workspace of its own"), good[0].text)

        let noProgram = await DoctorChecks.image(image, podman: podman, config: try config { $0.agentCommand = ["no-such-agent", "-p"] }, podmanUser: "burrowtest")
        XCTAssertEqual(noProgram.map(\.level), [.fail])
        XCTAssertTrue(noProgram[0].text.contains("no-such-agent not found on PATH"), noProgram[0].text)

        // nobody (uid 65534) does not own the image's /workspace (1000 does), as root owns it in many
        // images: no failure, a launch gives the agent a workspace of its own (#27.10; see
        // DoctorFirstRunTests for the launch itself).
        let notOwner = await DoctorChecks.image(image, podman: podman, config: try config { $0.agentUser = "nobody" }, podmanUser: "burrowtest")
        XCTAssertEqual(notOwner.map(\.level), [.ok], "\(notOwner)")
        XCTAssertTrue(notOwner[0].text.contains("uid 65534"), notOwner[0].text)

        let noUser = await DoctorChecks.image(image, podman: podman, config: try config { $0.agentUser = "no-such-user" }, podmanUser: "burrowtest")
        XCTAssertEqual(noUser.map(\.level), [.fail])
        XCTAssertTrue(noUser[0].text.contains("could not start"), noUser[0].text)

        let missing = await DoctorChecks.image("localhost/burrow-none:never", podman: podman, config: try config(), podmanUser: "burrow-podman")
        XCTAssertEqual(missing.map(\.level), [.fail])
        XCTAssertTrue(missing[0].text.contains("Podman of burrow-podman") && missing[0].fix?.contains("as burrow-podman: podman build") == true, "\(missing)")
        let left = try await podman.listContainers(label: ContainerProbe.label)
        XCTAssertTrue(left.isEmpty, "probe containers are removed: \(left.map(\.names))")
    }

    func testCDIDevicesDefinedTwiceAreReportedAndDevicesAreResolvedByPodman() async throws {
        let podman = try await PodmanTestEnvironment.client()
        let etc = try TemporaryDirectory.make("doctor-cdi-etc"), run = try TemporaryDirectory.make("doctor-cdi-run")
        let spec = "cdiVersion: \"0.5.0\"\nkind: nvidia.com/gpu\ndevices:\n- name: \"0\"\n  containerEdits:\n    deviceNodes:\n    - path: /dev/nvidia0\n- name: all\n  containerEdits:\n    deviceNodes:\n    - path: /dev/nvidia0\n"
        try FileSystem.writeAtomically(Array(spec.utf8), to: etc + "/nvidia.yaml")
        try FileSystem.writeAtomically(Array(spec.utf8), to: run + "/nvidia.yaml")
        let duplicates = CDISpecs.duplicateDevices(kind: "nvidia.com/gpu", in: [etc, run])
        XCTAssertEqual(duplicates.map(\.0), ["0", "all"])
        XCTAssertEqual(duplicates.first?.1, [etc + "/nvidia.yaml", run + "/nvidia.yaml"])
        let gpuRepo = try config { var repo = RepoConfig(name: "ml", path: "/tmp"); repo.gpu = true; $0.repos = [repo] }
        let twice = await DoctorGPUCheck.findings(gpuRepo, podman: podman, directories: [etc, run])
        XCTAssertTrue(twice.contains { $0.level == .warn && $0.text.contains("nvidia.com/gpu=all is defined in 2 spec files") }, "\(twice)")
        XCTAssertTrue(twice.last?.text.hasPrefix("a container started with") == true, "then resolved for real: \(twice)")

        // The test environment's single spec (scripts/test-env.sh): resolved for real by a container.
        try PodmanTestEnvironment.requireTestCDISpec()
        let real = await DoctorGPUCheck.findings(try config(), podman: podman)
        XCTAssertEqual(real.last?.level, .ok, "\(real)")
        XCTAssertTrue(real.last?.text.contains("a container started with nvidia.com/gpu=all") == true, "\(real)")
        let wrong = await DoctorGPUCheck.findings(try config { $0.gpuDevices = ["nvidia.com/gpu=no-such-gpu"] }, podman: podman)
        XCTAssertEqual(wrong.last?.level, .warn, "no repo asks for the GPU: a warning: \(wrong)")
        XCTAssertTrue(wrong.last?.text.contains("could not give a container nvidia.com/gpu=no-such-gpu") == true, "\(wrong)")
    }
}

/// The probe runs the configured image: its output reaches the doctor's terminal only as plain text.
final class DoctorProbeOutputTests: XCTestCase {
    func testAnImagesOutputCannotSendEscapeSequencesToTheTerminal() async throws {
        let podman = try await PodmanTestEnvironment.client()
        var spec = ContainerSpec(image: PodmanTestEnvironment.image)
        spec.entrypoint = ["/bin/sh", "-c", #"printf 'burrow-doctor: \033]0;owned\007\033[2J clear\r\n'; exit 7"#]
        spec.command = []
        let outcome = try await ContainerProbe.run(podman, spec: spec)
        XCTAssertEqual(outcome.exitCode, 7)
        XCTAssertTrue(outcome.output.contains("burrow-doctor: ?]0;owned??[2J clear?"), outcome.output)
        XCTAssertFalse(outcome.output.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x0D })
    }
}
