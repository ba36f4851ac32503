@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// Against the real rootless Podman service of scripts/test-env.sh.
final class PodmanClientTests: XCTestCase {
    func testVersionAndInfo() async throws {
        let podman = try await PodmanTestEnvironment.client()
        try await podman.ping()
        let version = try await podman.version()
        XCTAssertGreaterThanOrEqual(version.major, 4)
        let info = try await podman.info()
        XCTAssertNotEqual(info.cgroupVersion, "unknown")
        let present = try await podman.imageExists(PodmanTestEnvironment.image)
        XCTAssertTrue(present)
        let absent = try await podman.imageExists("localhost/no-such-image:never")
        XCTAssertFalse(absent)
    }

    func testFullLifecycleWithLiveLogsArchivesAndCleanup() async throws {
        let podman = try await PodmanTestEnvironment.client()
        let name = PodmanTestEnvironment.uniqueName("burrow-test")
        let volume = name + "-workspace"
        try await podman.createVolume(name: volume, labels: ["io.burrow.test": name])
        var spec = ContainerSpec(image: PodmanTestEnvironment.image)
        spec.name = name
        spec.labels = ["io.burrow.test": name]
        spec.volumes = [.init(name: volume, destination: "/workspace")]
        spec.workDir = "/workspace"
        spec.user = "agent"
        spec.env = ["GREETING": "hello"]
        // A line split across two writes (two frames), stderr between, and time between lines.
        spec.command = ["sh", "-c", """
            cat input.txt; printf 'split '; sleep 0.3; echo 'line'; echo "to stderr $GREETING" >&2; \
            sleep 1; echo late; echo result > output.txt; exit 7
            """]
        let created = try await podman.createContainer(spec)
        var tar = TarWriter()
        tar.addFile("input.txt", Array("from the archive\n".utf8), uid: 1000, gid: 1000)
        try await podman.putArchive(created.id, path: "/workspace", tar: .bytes(tar.finished()))
        try await podman.start(created.id)

        let logs = try await podman.logs(created.id, follow: true)
        var assembler = LineAssembler()
        var lines: [LineAssembler.Line] = []
        var runningWhenFirstLineArrived: Bool?
        while let frames = try await withTimeout(20, { try await logs.next() }) {
            for frame in frames { lines += assembler.add(frame) }
            if runningWhenFirstLineArrived == nil, !lines.isEmpty {
                runningWhenFirstLineArrived = try await podman.inspectContainer(created.id).state.running
            }
        }
        lines += assembler.flush()
        XCTAssertEqual(runningWhenFirstLineArrived, true, "lines arrive while the container still runs")
        XCTAssertEqual(lines.filter { $0.stream == .stdout }.map(\.text), ["from the archive", "split line", "late"])
        XCTAssertEqual(lines.filter { $0.stream == .stderr }.map(\.text), ["to stderr hello"])

        let code = try await podman.wait(created.id)
        XCTAssertEqual(code, 7)
        let archive = try await podman.getArchive(created.id, path: "/workspace").collect()
        let entries = try TarReader.entries(archive)
        XCTAssertEqual(entries.first { $0.path.hasSuffix("output.txt") }?.data, Array("result\n".utf8))

        let listed = try await podman.listContainers(label: "io.burrow.test=\(name)")
        XCTAssertEqual(listed.map(\.id), [created.id])
        try await podman.remove(created.id)
        try await podman.removeVolume(volume)
        let containersLeft = try await podman.listContainers(label: "io.burrow.test=\(name)")
        let volumesLeft = try await podman.listVolumes(label: "io.burrow.test=\(name)")
        XCTAssertTrue(containersLeft.isEmpty)
        XCTAssertTrue(volumesLeft.isEmpty)
    }

    func testImageImportInspectAndRemove() async throws {
        let podman = try await PodmanTestEnvironment.client()
        let reference = "localhost/\(PodmanTestEnvironment.uniqueName("burrow-import")):test"
        var rootfs = TarWriter()
        rootfs.addDirectory("etc")
        rootfs.addFile("etc/burrow-marker", Array("imported\n".utf8))
        let directory = try TemporaryDirectory.make()
        try FileSystem.writeAtomically(rootfs.finished(), to: directory + "/rootfs.tar")
        try await podman.importImage(tarPath: directory + "/rootfs.tar", reference: reference,
                                     changes: ["LABEL io.burrow.test=import", "USER 1000"])
        let image = try await podman.inspectImage(reference)
        XCTAssertEqual(image.config?.labels?["io.burrow.test"], "import")
        XCTAssertEqual(image.config?.user, "1000")
        try await podman.removeImage(reference)
        do {
            _ = try await podman.inspectImage(reference)
            XCTFail("the image should be gone")
        } catch let error as PodmanError {
            XCTAssertEqual(error, .imageMissing(image: reference))
        }
    }

    func testCreateReturnsPodmanWarningsAndHonoursHardening() async throws {
        let podman = try await PodmanTestEnvironment.client()
        let info = try await podman.info()
        var spec = ContainerSpec(image: PodmanTestEnvironment.image)
        spec.name = PodmanTestEnvironment.uniqueName("burrow-harden")
        spec.command = ["true"]
        spec.resourceLimits = .init(memoryBytes: 256 << 20, cpus: 1, pids: 256)
        spec.capDrop = ["ALL"]
        spec.noNewPrivileges = true
        spec.readOnlyRootFilesystem = true
        spec.mounts = [.tmpfs(at: "/tmp")]
        let created = try await podman.createContainer(spec)
        if info.rootless && info.cgroupVersion == "v1" {
            XCTAssertFalse(created.warnings.isEmpty, "rootless cgroups v1 ignores limits and Podman says so")
        }
        let inspected = try await podman.inspectContainer(created.id)
        XCTAssertEqual(inspected.hostConfig?.readonlyRootfs, true)
        XCTAssertEqual(inspected.hostConfig?.networkMode, "none")
        XCTAssertTrue(inspected.hostConfig?.securityOpt?.contains { $0.contains("no-new-privileges") } ?? false)
        XCTAssertTrue(inspected.hostConfig?.capDrop?.contains("CAP_SETUID") ?? false, "\(String(describing: inspected.hostConfig?.capDrop))")
        try await podman.remove(created.id)
        let volume = PodmanTestEnvironment.uniqueName("burrow-vol")
        try await podman.createVolume(name: volume, labels: ["io.burrow.test": volume])
        let volumeInfo = try await podman.inspectVolume(volume)
        XCTAssertEqual(volumeInfo.labels?["io.burrow.test"], volume)
        let exists = try await podman.volumeExists(volume)
        XCTAssertTrue(exists)
        try await podman.removeVolume(volume)
        let gone = try await podman.volumeExists(volume)
        XCTAssertFalse(gone)
    }

    func testAttachStreamsLiveOutputOfAStartedContainer() async throws {
        let podman = try await PodmanTestEnvironment.client()
        var spec = ContainerSpec(image: PodmanTestEnvironment.image)
        spec.name = PodmanTestEnvironment.uniqueName("burrow-attach")
        spec.command = ["sh", "-c", "sleep 0.3; for i in 1 2 3; do echo out $i; echo err $i >&2; done; exit 4"]
        let created = try await podman.createContainer(spec)
        let attaching = Task { try await podman.attach(created.id) }
        try await Task.sleep(for: .milliseconds(100))
        try await podman.start(created.id)
        let stream = try await withTimeout(10) { try await attaching.value }
        var assembler = LineAssembler()
        var lines: [LineAssembler.Line] = []
        while let frames = try await withTimeout(10, { try await stream.next() }) {
            for frame in frames { lines += assembler.add(frame) }
        }
        XCTAssertEqual(lines.filter { $0.stream == .stdout }.map(\.text), ["out 1", "out 2", "out 3"])
        XCTAssertEqual(lines.filter { $0.stream == .stderr }.map(\.text), ["err 1", "err 2", "err 3"])
        let code = try await podman.wait(created.id)
        XCTAssertEqual(code, 4)
        try await podman.remove(created.id)
    }

    func testCDIDeviceReachesTheContainer() async throws {
        let podman = try await PodmanTestEnvironment.client()
        try PodmanTestEnvironment.requireTestCDISpec()
        var spec = ContainerSpec(image: PodmanTestEnvironment.image)
        spec.name = PodmanTestEnvironment.uniqueName("burrow-gpu")
        spec.devices = [.init("nvidia.com/gpu=all")]
        spec.command = ["sh", "-c", "test -c /dev/nvidia0 && echo device-present; echo env=$BURROW_TEST_GPU"]
        let created = try await podman.createContainer(spec)
        defer { Task { try? await podman.remove(created.id) } }
        try await podman.start(created.id)
        let code = try await podman.wait(created.id)
        XCTAssertEqual(code, 0)
        let logs = try await podman.logs(created.id, follow: false)
        var assembler = LineAssembler()
        var text: [String] = []
        while let frames = try await logs.next() { for frame in frames { text += assembler.add(frame).map(\.text) } }
        XCTAssertEqual(text, ["device-present", "env=injected-by-cdi"])
        try await podman.remove(created.id)
    }

    func testEventsReportAContainersDeath() async throws {
        let podman = try await PodmanTestEnvironment.client()
        let name = PodmanTestEnvironment.uniqueName("burrow-events")
        let events = try await podman.events(label: "io.burrow.test=\(name)")
        var spec = ContainerSpec(image: PodmanTestEnvironment.image)
        spec.name = name
        spec.labels = ["io.burrow.test": name]
        spec.command = ["sh", "-c", "exit 3"]
        let created = try await podman.createContainer(spec)
        try await podman.start(created.id)
        let died = try await withTimeout(20) { () async throws -> PodmanEvent? in
            while let event = try await events.next() {
                if event.action == "died" { return event }
            }
            return nil
        }
        events.close()
        XCTAssertEqual(died?.actor?.id, created.id)
        XCTAssertEqual(died?.exitCode, 3)
        XCTAssertGreaterThan(died?.timeNano ?? 0, 1_700_000_000_000_000_000, "when it happened, in ns (tells a repeat from a new event)")
        try await podman.remove(created.id)
    }

    func testTypedErrors() async throws {
        let podman = try await PodmanTestEnvironment.client()
        var spec = ContainerSpec(image: "localhost/burrow-missing-image:none")
        spec.command = ["true"]
        do {
            _ = try await podman.createContainer(spec)
            XCTFail("created a container from a missing image")
        } catch let error as PodmanError {
            XCTAssertEqual(error, .imageMissing(image: "localhost/burrow-missing-image:none"))
            XCTAssertTrue(error.description.contains("burrow image build --tag localhost/burrow-missing-image:none"))
        }
        do {
            _ = try await podman.inspectContainer("burrow-no-such-container")
            XCTFail("inspected a missing container")
        } catch let error as PodmanError {
            XCTAssertTrue(error.isNotFound, "\(error)")
        }
        do {
            _ = try await PodmanClient.connect(configured: "/tmp/burrow-no-such-dir/podman.sock")
            XCTFail("connected to nothing")
        } catch let error as PodmanError {
            guard case .socketNotFound(let tried) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(tried, ["/tmp/burrow-no-such-dir/podman.sock"])
            XCTAssertTrue(error.description.contains("podman system service"))
        }
        // A socket file with nothing behind it.
        let directory = try TemporaryDirectory.make()
        let dead = try AsyncSocket.listening(on: .unix(directory + "/dead.sock"))
        dead.close()
        do {
            _ = try await PodmanClient.connect(configured: "unix://" + directory + "/dead.sock")
            XCTFail("connected to a dead socket")
        } catch let error as PodmanError {
            guard case .unreachable = error else { return XCTFail("\(error)") }
        }
    }

    /// Podman going away mid-stream: the client reaches Podman through a relay socket that the test
    /// cuts while a log is being followed. The stream must end with an error, not hang.
    func testLogStreamEndsWithAnErrorWhenPodmanGoesAway() async throws {
        let podman = try await PodmanTestEnvironment.client()
        let relay = try await UnixRelay(target: podman.socketPath)
        let viaRelay = try await PodmanClient.connect(configured: relay.path)
        var spec = ContainerSpec(image: PodmanTestEnvironment.image)
        spec.name = PodmanTestEnvironment.uniqueName("burrow-cut")
        spec.stopTimeout = 1
        spec.command = ["sh", "-c", "while true; do echo tick; sleep 0.2; done"]
        let created = try await podman.createContainer(spec)
        try await podman.start(created.id)
        let logs = try await viaRelay.logs(created.id, follow: true)
        _ = try await withTimeout(10) { try await logs.next() }
        relay.cut()
        do {
            try await withTimeout(10) { while try await logs.next() != nil {} }
            XCTFail("the stream ended quietly")
        } catch let error as PodmanError {
            guard case .streamInterrupted = error else { return XCTFail("\(error)") }
        }
        try await podman.remove(created.id)
    }
}
