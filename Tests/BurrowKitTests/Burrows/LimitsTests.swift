@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// `limits` without Podman (fast tier): parsing, the container's bounds, the event log's cap.
final class LimitsTests: XCTestCase {
    func parse(_ json: String) throws(ConfigError) -> Config { try ConfigLoader.parse(Array(json.utf8), file: "test.json") }

    func testDefaultsBoundEveryBurrow() throws {
        let limits = try parse("{}").limits
        XCTAssertEqual(limits.diskBytes, 10 << 30)
        XCTAssertEqual(limits.eventLogBytes, 256 << 20)
        XCTAssertEqual(limits.minFreeDiskBytes, 2 << 30)
        XCTAssertEqual(limits.processLimit, 1024)
        let sized = try parse(#"{"limits": {"disk": "50m", "eventLog": "1m", "minFreeDisk": "0", "processes": 64}}"#).limits
        XCTAssertEqual(sized.diskBytes, 50 << 20)
        XCTAssertEqual(sized.processLimit, 64)
    }

    func testABadSizeIsRefusedNamingTheField() {
        for (json, field) in [(#"{"limits": {"disk": "lots"}}"#, "limits.disk"), (#"{"limits": {"eventLog": "-5m"}}"#, "limits.eventLog"),
                              (#"{"limits": {"minFreeDisk": "99999999999999g"}}"#, "limits.minFreeDisk"),
                              (#"{"limits": {"disk": "10k"}}"#, "limits.disk"), (#"{"limits": {"processes": 2}}"#, "limits.processes")] {
            XCTAssertThrowsError(try parse(json), json) { error in
                XCTAssertEqual((error as? ConfigError)?.field, field, "\(error)")
            }
        }
    }

    func testTheContainerGetsAProcessLimitAndABoundedPodmanLog() {
        var config = Config()
        config.repos = [RepoConfig(name: "demo", path: "/tmp/demo")]
        config.limits.processes = 200
        config.limits.eventLog = "4m"
        let record = BurrowRecord(id: "0123456789ab", repo: "demo", task: "t", gpu: false)
        let plan = ContainerPlan(config: config, record: record, repo: config.repos[0], socketDirectory: "/s", forwarderPath: "/f")
        XCTAssertEqual(plan.spec.rlimits, [.init("nproc", 200)])
        XCTAssertEqual(plan.spec.logConfiguration, .init(driver: "k8s-file", size: 8 << 20))
        XCTAssertNil(plan.spec.resourceLimits, "cgroups v1: no pids limit Podman would only warn about")
        let v2 = ContainerPlan(config: config, record: record, repo: config.repos[0], socketDirectory: "/s", forwarderPath: "/f", cgroupsV2: true)
        XCTAssertEqual(v2.spec.resourceLimits?.pids, 200, "cgroups v2: Podman's pids limit backs it up")
    }

    func testPastTheCapOutputIsDroppedWithOneNoticeAndTheTotalAtTheEnd() async throws {
        let path = try TemporaryDirectory.make("burrow-cap") + "/events.ndjson"
        let log = try BurrowEvents(path: path, limit: 64 << 10)
        let line = BurrowManager.json(OutputEvent.LogLine(stream: "stdout", text: String(repeating: "x", count: 1000)))
        for _ in 0..<200 { try await log.append(Array(repeating: (kind: EventKind.log, data: line), count: 5)) }
        try await log.append(kind: .state, data: "{}")
        try await log.append(kind: .end, data: "{}")
        let text = String(decoding: try FileSystem.readFile(path), as: UTF8.self)
        let lines = text.split(separator: "\n")
        XCTAssertLessThan(text.utf8.count, (64 << 10) + 1024)
        XCTAssertEqual(lines.filter { $0.contains("later output is dropped") }.count, 1)
        let kept = lines.filter { $0.contains("xxxx") }.count
        XCTAssertGreaterThan(kept, 50, "output up to the cap is kept")
        let final = try XCTUnwrap(lines.dropLast().last.map(String.init))
        XCTAssertTrue(final.contains("output truncated: \((1000 - kept) * line.utf8.count) bytes dropped in all"), final)
        XCTAssertTrue(lines.last?.contains("\"kind\":\"end\"") == true, "the end is written after the total")
        let isFull = await log.isFull
        XCTAssertTrue(isFull)
    }

    func testStateChangesPastTheCapStopAtTheHeadroomButEndsAreWritten() async throws {
        let path = try TemporaryDirectory.make("burrow-cap") + "/events.ndjson"
        let log = try BurrowEvents(path: path, limit: 64 << 10)
        let record = "{\"task\":\"" + String(repeating: "t", count: 50_000) + "\"}"
        for _ in 0..<100 { try await log.append(kind: .state, data: record) }
        try await log.append(kind: .end, data: "{}")
        let size = try XCTUnwrap(FileSystem.status(path)?.size)
        XCTAssertLessThan(size, (64 << 10) + (1 << 20) + 4096, "a record changing often cannot grow the log past cap + headroom")
        let text = String(decoding: try FileSystem.readFile(path), as: UTF8.self)
        XCTAssertTrue(text.hasSuffix("\"kind\":\"end\",\"data\":{}}\n"), "the end is written")
    }
}
