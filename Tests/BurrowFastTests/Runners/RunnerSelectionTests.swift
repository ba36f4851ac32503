@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import Foundation
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// Where a turn runs, decided without SSH or Podman; the runner config and a remote spec checked too.
final class RunnerSelectionTests: XCTestCase {
    typealias Candidate = RunnerSelection.Candidate

    let local = Candidate(name: "local", labels: ["gpu"], maxConcurrent: 2, repos: nil, running: 0, reachable: true)
    let far = Candidate(name: "far", labels: [], maxConcurrent: 4, repos: nil, running: 0, reachable: true)
    let gpuBox = Candidate(name: "gpu-box", labels: ["gpu", "a100"], maxConcurrent: 1, repos: ["ml"], running: 0, reachable: true)

    func decide(_ repo: String = "demo", gpu: Bool = false, pinned: String? = nil, among candidates: [Candidate]) -> RunnerSelection.Decision {
        RunnerSelection.decide(.init(repo: repo, gpu: gpu, pinned: pinned), among: candidates)
    }

    func testTheLightestLoadedRunnerWinsTiesGoToTheConfigurationOrder() {
        XCTAssertEqual(decide(among: [local, far]), .run("local"))
        var busy = local
        busy.running = 1
        XCTAssertEqual(decide(among: [busy, far]), .run("far"), "1/2 loaded against 0/4")
        var half = far
        half.running = 2
        XCTAssertEqual(decide(among: [busy, half]), .run("local"), "equal load: the first configured")
    }

    func testAFullOrUnreachableRunnerMakesTheTurnWaitNotFail() {
        var full = local
        full.running = 2
        var down = far
        down.reachable = false
        XCTAssertEqual(decide(among: [full, down]), .wait)
        XCTAssertEqual(decide(pinned: "local", among: [full, far]), .wait, "pinned to its workspace's runner, even when another is free")
    }

    func testGPURepoRestrictionsAndPinsAreObeyed() {
        XCTAssertEqual(decide("ml", gpu: true, among: [far, gpuBox]), .run("gpu-box"))
        XCTAssertEqual(decide("ml", gpu: true, among: [local, far, gpuBox]), .run("local"), "the local runner has the gpu label by default")
        guard case .impossible(let reason) = decide("demo", gpu: true, among: [far, gpuBox]) else { return XCTFail("a GPU turn with no GPU runner for its repo") }
        XCTAssertTrue(reason.contains("far: no gpu label") && reason.contains("gpu-box: repo demo may not run there"), reason)
        XCTAssertEqual(decide(pinned: "far", among: [local, far]), .run("far"))
        XCTAssertEqual(decide(pinned: "gone", among: [local, far]), .impossible("runner gone is not configured"))
    }

    func testRunnersInTheConfigAreCheckedAndTheLocalOneComesFirst() throws {
        let json = """
        {"repos": [{"name": "demo", "path": "/tmp/x"}], "maxConcurrent": 3,
         "runners": [{"name": "gpu-box", "ssh": "burrow@gpu.lan:2222", "identityFile": "~/.config/burrow/gpu", "hostKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB", "labels": ["gpu"], "maxConcurrent": 4}]}
        """
        let config = try JSONDecoder().decode(Config.self, from: Data(json.utf8))
        try config.validate()
        XCTAssertEqual(config.allRunners.map(\.name), ["local", "gpu-box"])
        XCTAssertEqual(config.allRunners[0].maxConcurrent, 3, "the local runner's capacity is maxConcurrent")
        XCTAssertEqual(config.allRunners[0].labels, ["gpu"])
        XCTAssertEqual(try config.runners[0].destination(), SSHDestination(user: "burrow", host: "gpu.lan", port: 2222))
        XCTAssertEqual(SSHDestination(user: "burrow", host: "gpu.lan", port: 2222).knownHostsLine(key: "ssh-ed25519 AAAA comment"), "[gpu.lan]:2222 ssh-ed25519 AAAA")

        func refusal(_ runner: String) throws -> String {
            let text = "{\"repos\": [{\"name\": \"demo\", \"path\": \"/tmp/x\"}], \"runners\": [\(runner)]}"
            let config = try JSONDecoder().decode(Config.self, from: Data(text.utf8))
            do { try config.validate() } catch { return error.description }
            return "accepted"
        }
        let key = "\"identityFile\": \"/k\", \"hostKey\": \"ssh-ed25519 AAAA\""
        XCTAssertTrue(try refusal("{\"name\": \"far\", \"ssh\": \"-oProxyCommand=x@h\", \(key)}").contains("is not user@host"))
        XCTAssertTrue(try refusal("{\"name\": \"far\", \"ssh\": \"u@h\", \"identityFile\": \"/k\"}").contains("never accepts an unknown host key"))
        XCTAssertTrue(try refusal("{\"name\": \"far\", \"ssh\": \"u@h\", \"hostKey\": \"ssh-ed25519 AAAA\"}").contains("identityFile"))
        XCTAssertTrue(try refusal("{\"name\": \"far\", \"ssh\": \"u@h\", \(key), \"repos\": [\"nope\"]}").contains("'nope' is not a configured repo"))
        XCTAssertTrue(try refusal("{\"name\": \"far\"}").contains("needs \"ssh\""))
        XCTAssertTrue(try refusal("{\"name\": \"far\", \"ssh\": \"u@h\", \(key), \"podmanSocket\": \"/run/x'; rm -rf ~\"}").contains("without quotes"))
        XCTAssertEqual(try refusal("{\"name\": \"local\", \"labels\": [], \"maxConcurrent\": 1}"), "accepted")
    }

    /// A remote burrow's spec names no path of this host: the forwarder comes from a volume and
    /// relays, the egress folder and seccomp profile are the runner's.
    func testARemoteSpecHasNoHostPathAndTheForwarderRelays() throws {
        var config = Config()
        config.stateDir = "/var/lib/burrow-host"
        config.repos = [RepoConfig(name: "demo", path: "/tmp/demo")]
        let record = BurrowRecord(id: "abc123", repo: "demo", task: "t", gpu: false)
        let plan = ContainerPlan(config: config, record: record, repo: config.repos[0], socketDirectory: "/var/lib/burrow-host/run/abc123",
                                 forwarderPath: "/opt/burrow/burrow-forwarder", seccompProfile: "/var/lib/burrow-host/run/seccomp.json")
        var spec = plan.spec
        RemoteRunner.adapt(&spec, forwarderVolume: "burrow-forwarder-0123", socketFolder: "/run/user/1003/burrow/abc123",
                           seccompProfile: "/run/user/1003/burrow/seccomp.json")
        let json = String(decoding: try JSONCoding.encoder.encode(spec), as: UTF8.self)
        XCTAssertFalse(json.contains("/var/lib/burrow-host") || json.contains("/opt/burrow"), json)
        XCTAssertEqual(spec.mounts.filter { $0.type == "bind" }.map(\.source),
                       ["/run/user/1003/burrow/abc123", "/run/user/1003/burrow/abc123/ca-bundle.crt"], "the folder and the trust bundle in it")
        XCTAssertEqual(spec.entrypoint?.prefix(2), ["/run/burrow-bin/burrow-forwarder", "--relay"])
        XCTAssertTrue(spec.volumes.contains(.init(name: "burrow-forwarder-0123", destination: "/run/burrow-bin", options: ["ro"])))
        XCTAssertEqual(spec.seccompProfilePath, "/run/user/1003/burrow/seccomp.json")
    }
}
