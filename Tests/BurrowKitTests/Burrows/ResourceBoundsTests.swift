@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import Foundation
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// The agent as the attacker against the host's disk and process table (`limits.disk`,
/// `limits.eventLog`, `limits.minFreeDisk`, `limits.processes`).
final class ResourceBoundsTests: XCTestCase {
    static func events(_ attack: AttackBurrow, _ id: String) throws -> String {
        String(decoding: try FileSystem.readFile(attack.app.stateDir + "/burrows/\(id)/events.ndjson"), as: UTF8.self)
    }

    func testWritingPastTheDiskBudgetStopsTheBurrowWithTheReason() async throws {
        // Its config volume (not the workspace: nothing large comes home).
        try await Self.writePastTheBudget(self, into: "/burrow/claude")
    }

    func testWritingIntoASharedCacheCountsAgainstTheBudget() async throws {
        try await Self.writePastTheBudget(self, into: "/home/agent/.cache/burrow-test")
    }

    /// 5 MiB at a time into `folder`, 200 MiB in all, against a budget of 50 MiB.
    static func writePastTheBudget(_ test: XCTestCase, into folder: String) async throws {
        let attack = try await AttackBurrow.make(test) { $0.limits.disk = "50m" }
        attack.app.manager.diskWatch.interval.withLock { $0 = .milliseconds(300) }
        let record = try await attack.run("""
            i=0; while [ $i -lt 40 ]; do
              dd if=/dev/zero of=\(folder)/fill$i bs=1M count=5 2>/dev/null; i=$((i+1)); echo "wrote $((i*5)) MiB"; sleep 0.3
            done; echo finished-writing; rm -f \(folder)/fill*
            """, within: 120)
        let text = try Self.events(attack, record.id)
        // The task itself is in the record's events: the agent's lines are matched as output (`"text":`).
        XCTAssertTrue(text.contains(#""text":"wrote 10 MiB""#), "the probe ran: it wrote")
        XCTAssertFalse(text.contains(#""text":"finished-writing""#), "stopped before it wrote 200 MiB")
        XCTAssertEqual(record.state, .stopped)
        let reason = try XCTUnwrap(record.stopReason)
        XCTAssertTrue(reason.hasPrefix("disk budget of 50 MiB reached"), reason)
        XCTAssertTrue(reason.contains("raise limits.disk"), reason)
        let written = text.components(separatedBy: #""text":"wrote "#).count - 1
        print("disk budget 50 MiB, \(folder): stopped after the agent reported \(written * 5) MiB written (interval 300 ms, 5 MiB per 0.3 s)")
    }

    func testPrintingPastTheEventLogCapDropsOutputWithOneNoticeAndTheAgentRunsOn() async throws {
        let attack = try await AttackBurrow.make(self) { $0.limits.eventLog = "1m" }
        // 20 MB of output, then a marker written after it (it comes home on the branch).
        let record = try await attack.run("""
            yes 'a line of output that the agent prints again and again, to fill the host disk' | head -c 20000000
            echo printed > /workspace/after-printing.txt; echo after-printing
            """, within: 120)
        XCTAssertEqual(record.state, .succeeded, record.error ?? "")
        let files = try await attack.branchFiles(record)
        XCTAssertTrue(files.contains("after-printing.txt"), "the agent ran to its end")
        let path = attack.app.stateDir + "/burrows/\(record.id)/events.ndjson"
        let size = try XCTUnwrap(FileSystem.status(path)?.size)
        XCTAssertLessThan(size, (1 << 20) + (64 << 10), "the event log stays at its cap (with the state, notice and end events)")
        let text = try Self.events(attack, record.id)
        let notices = text.split(separator: "\n").filter { $0.contains("output truncated: ") }
        XCTAssertEqual(notices.filter { $0.contains("later output is dropped") }.count, 1, "one notice when dropping starts")
        let last = try XCTUnwrap(notices.last { $0.contains("in all") }.map(String.init), "a final notice with the total")
        let total = Int(last.components(separatedBy: "output truncated: ")[1].prefix { $0.isNumber }) ?? 0
        // N counts the bytes the event log would have held: the 20 MB printed and their events' framing.
        XCTAssertGreaterThan(total, 19_000_000, "N counts what was dropped: \(last)")
        XCTAssertFalse(text.contains(#""text":"after-printing""#), "its last line came after the cap")
        // Podman's copy of the output (ctr.log) does not grow with it either.
        let logs = try await attack.app.manager.podman.logs(record.container, follow: false)
        var podmanBytes = 0
        while let frames = try await logs.next() { podmanBytes += frames.reduce(0) { $0 + $1.payload.count } }
        logs.close()
        XCTAssertLessThan(podmanBytes, 3 << 20, "Podman keeps at most twice the event log's cap")
        print("eventLog 1 MiB: events.ndjson \(size) bytes, \(total) bytes dropped, Podman's log \(podmanBytes) bytes of 20000000 printed")
    }

    func testALaunchIsRefusedWhileTheHostHasLessFreeThanMinFreeDisk() async throws {
        let attack = try await AttackBurrow.make(self) { $0.limits.minFreeDisk = "1000000g" }
        let refused = try await attack.app.server.request("POST", "/api/burrows", headers: ["Content-Type": "application/json"],
                                                          body: #"{"repo": "demo", "task": "echo hi"}"#)
        XCTAssertEqual(refused.status, 507, refused.text)
        XCTAssertTrue(refused.text.contains("limits.minFreeDisk"), "names the fix: \(refused.text)")
        XCTAssertTrue(FileSystem.listDirectory(attack.app.stateDir + "/burrows").isEmpty, "nothing was started")
    }

    func testAForkBombIsHeldAtTheProcessLimitAndAnotherBurrowRunsMeanwhile() async throws {
        let attack = try await AttackBurrow.make(self) { $0.limits.processes = 64 }
        // The spawner stops at its first failed fork; the count is kept in a file as it goes.
        let bomb = try await attack.app.launch("""
            ( i=0; while [ $i -lt 5000 ]; do sleep 30 & i=$((i+1)); echo $i > /tmp/spawned; done ) 2>/dev/null
            read n < /tmp/spawned; echo "spawned $n"; exec sleep 10
            """)
        let spawned = try await withTimeout(90) { () async throws -> Int in
            while true {
                if let line = try Self.events(attack, bomb.id).components(separatedBy: #""text":"spawned "#).dropFirst().first {
                    return Int(line.prefix { $0.isNumber }) ?? -1
                }
                if try await attack.app.record(bomb.id).state.isFinal { return -1 }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        XCTAssertGreaterThan(spawned, 30, "the probe ran: it spawned processes")
        XCTAssertLessThan(spawned, 64, "held at limits.processes")
        let bombState = try await attack.app.record(bomb.id).state
        XCTAssertEqual(bombState, .running, "the bomb still holds its processes")
        let other = try await attack.app.launch("echo other-burrow-ran")
        let finished = try await attack.app.finished(other.id, within: 60)
        XCTAssertEqual(finished.state, .succeeded, finished.error ?? "")
        XCTAssertTrue(try Self.events(attack, other.id).contains("other-burrow-ran"))
        let bombRecord = try await attack.app.finished(bomb.id, within: 60)
        print("processes 64: the bomb spawned \(spawned) of 5000; the other burrow \(finished.state); the bomb \(bombRecord.state)")
    }
}
