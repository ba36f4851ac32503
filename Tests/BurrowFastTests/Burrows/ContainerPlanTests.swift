@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// The container a turn runs in, decided without Podman (fast tier).
final class ContainerPlanTests: XCTestCase {
    func config(_ change: (inout Config) -> Void = { _ in }) -> Config {
        var config = Config()
        config.repos = [RepoConfig(name: "demo", path: "/tmp/demo")]
        change(&config)
        return config
    }

    func testAnAllowlistBurrowIsClosedInAndRoutedThroughTheForwarder() {
        let config = config { $0.network = NetworkConfig(mode: .allowlist) }
        let record = BurrowRecord(id: "0123456789ab", repo: "demo", task: "do it", gpu: false)
        let plan = ContainerPlan(config: config, record: record, repo: config.repos[0], socketDirectory: "/state/run/0123456789ab",
                                 forwarderPath: "/opt/burrow-forwarder", instance: ["io.burrow.instance": "abc"])
        XCTAssertEqual(plan.spec.capDrop, ["ALL"])
        XCTAssertTrue(plan.spec.noNewPrivileges)
        XCTAssertEqual(plan.spec.network, .none)
        XCTAssertEqual(plan.spec.entrypoint?.first, SandboxLayout.forwarderInside)
        XCTAssertEqual(plan.spec.env["ANTHROPIC_API_KEY"], Credential.placeholder)
        XCTAssertEqual(plan.spec.labels, ["io.burrow.id": "0123456789ab", "io.burrow.repo": "demo", "io.burrow.turn": "1", "io.burrow.instance": "abc"])
        XCTAssertEqual(plan.spec.command?.last, "-p", "the task is not an argument")
        XCTAssertEqual(plan.spec.entrypoint?.suffix(3), ["--stdin", ContainerPlan.taskPath(turn: 1), "--"])
        XCTAssertEqual(Set(plan.spec.mounts.map(\.destination)), ["/tmp", SandboxLayout.socketDirectory, SandboxLayout.forwarderInside, BoxTrust.systemStore])
        XCTAssertTrue(plan.spec.mounts.filter { $0.type == "bind" }.allSatisfy { $0.options.contains("ro") }, "host paths are read-only")
    }

    func testTheBoxTrustsTheBurrowCAAndHoldsOnlyPlaceholders() {
        let service = ServiceCredential(name: "gh", hosts: ["api.github.com"], header: "Authorization", format: "Bearer {secret}",
                                        source: .init(env: "GH_SECRET"), placeholder: "GH_TOKEN")
        let config = config {
            $0.network = NetworkConfig(mode: .allowlist)
            $0.credentials.services = [service]
        }
        let record = BurrowRecord(id: "0123456789ab", repo: "demo", task: "do it", gpu: false)
        let plan = ContainerPlan(config: config, record: record, repo: config.repos[0], socketDirectory: "/state/run/0123456789ab", forwarderPath: "/f")
        for name in ["SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS", "CURL_CA_BUNDLE", "GIT_SSL_CAINFO", "PIP_CERT", "CARGO_HTTP_CAINFO"] {
            XCTAssertEqual(plan.spec.env[name], "/run/burrow/ca-bundle.crt", name)
        }
        XCTAssertEqual(plan.spec.mounts.first { $0.destination == "/etc/ssl/certs/ca-certificates.crt" }?.source, "/state/run/0123456789ab/ca-bundle.crt")
        XCTAssertEqual(plan.spec.env["GH_TOKEN"], service.placeholderValue(burrow: "0123456789ab"))
        XCTAssertTrue(plan.spec.env["GH_TOKEN"]?.hasPrefix("burrow-placeholder-") ?? false)
        var narrowed = config.repos[0]
        narrowed.credentialServices = []
        let none = ContainerPlan(config: config, record: record, repo: narrowed, socketDirectory: "/state/run/0123456789ab", forwarderPath: "/f")
        XCTAssertNil(none.spec.env["GH_TOKEN"], "a repo may narrow the services its burrows get")
        var remote = plan.spec
        RemoteRunner.adapt(&remote, forwarderVolume: "v", socketFolder: "/r", seccompProfile: nil)
        XCTAssertEqual(remote.env["SSL_CERT_FILE"], "/run/burrow/ca-bundle.crt", "a remote burrow trusts the copy in its runner's folder")
        XCTAssertEqual(remote.mounts.first { $0.destination == BoxTrust.systemStore }?.source, "/r/ca-bundle.crt")
        XCTAssertEqual(remote.mounts.first { $0.destination == BoxTrust.systemStore }?.options.contains("ro"), true)
    }

    func testWithArgumentInputThePromptIsTheLastArgument() {
        let config = config { $0.taskInput = .argument }
        let record = BurrowRecord(id: "0123456789ab", repo: "demo", task: "do it", gpu: false)
        let plan = ContainerPlan(config: config, record: record, repo: config.repos[0], socketDirectory: "/s", forwarderPath: "/f")
        XCTAssertEqual(plan.spec.command?.last, "do it")
        XCTAssertFalse(plan.spec.entrypoint?.contains("--stdin") == true)
    }

    func testAFollowUpResumesTheSessionWithTheMessageAndTheMCPConfig() {
        let config = config { $0.mcpServers = ["x": .object(["command": .string("x")])] }
        var record = BurrowRecord(id: "0123456789ab", repo: "demo", task: "first", gpu: true)
        record.turn = 2
        record.sessionID = "s-1"
        record.message = "again"
        record.container = record.containerName(turn: 2)
        let plan = ContainerPlan(config: config, record: record, repo: config.repos[0], socketDirectory: "/s", forwarderPath: "/f")
        let command = plan.spec.command ?? []
        XCTAssertFalse(command.contains("again"), "the message goes on stdin")
        XCTAssertTrue(plan.spec.entrypoint?.contains(ContainerPlan.taskPath(turn: 2)) == true)
        XCTAssertTrue(command.contains("--resume") && command.contains("s-1"), "\(command)")
        XCTAssertEqual(Array(command[1...2]), ["--mcp-config", ContainerPlan.mcpConfigPath])
        XCTAssertEqual(plan.spec.name, "burrow-0123456789ab-2")
        XCTAssertEqual(plan.spec.devices.map(\.path), config.gpuDevices)
        XCTAssertEqual(plan.spec.network, .none, "no network namespace of its own")
    }

    /// `nestedContainers` adds the burrow's own storage volume and the nested engine's configuration,
    /// and nothing else: no host path, device, capability or network.
    func testNestedContainersAddOnlyTheirVolumeAndConfiguration() {
        let config = config { $0.network = NetworkConfig(mode: .allowlist) }
        var record = BurrowRecord(id: "0123456789ab", repo: "demo", task: "do it", gpu: false)
        let plain = ContainerPlan(config: config, record: record, repo: config.repos[0], socketDirectory: "/s", forwarderPath: "/f").spec
        record.nestedContainers = true
        let nested = ContainerPlan(config: config, record: record, repo: config.repos[0], socketDirectory: "/s", forwarderPath: "/f").spec
        XCTAssertEqual(nested.volumes.map(\.name), plain.volumes.map(\.name) + ["burrow-0123456789ab-containers"])
        XCTAssertEqual(nested.volumes.last?.destination, NestedContainers.directory)
        XCTAssertEqual(record.ownVolumes, [record.workspaceVolume, record.configVolume, record.containersVolume], "counted in limits.disk, removed on teardown")
        XCTAssertEqual(nested.env["CONTAINERS_CONF"], NestedContainers.containersConf)
        XCTAssertEqual(nested.env["USER"], NestedContainers.podmanUser)
        XCTAssertEqual(nested.mounts, plain.mounts)
        XCTAssertEqual(nested.devices, plain.devices)
        XCTAssertEqual(nested.capDrop, ["ALL"])
        XCTAssertTrue(nested.noNewPrivileges)
        XCTAssertEqual(nested.network, plain.network)
        XCTAssertTrue(NestedContainers.containersConfText.contains("netns = \"host\""), "nested containers have no network of their own")
        XCTAssertEqual(NestedContainers.storageDriver(kernel: "6.18.44-fc-v1272"), "overlay")
        XCTAssertEqual(NestedContainers.storageDriver(kernel: "5.13.0"), "overlay")
        XCTAssertEqual(NestedContainers.storageDriver(kernel: "5.10.0-28-amd64"), "vfs", "Debian 11: no overlay in a user namespace")
        XCTAssertEqual(NestedContainers.storageDriver(kernel: nil), "vfs")
    }

}
