@testable import BurrowKit
@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman
import Foundation
import Glibc
import XCTest

/// Each burrow in its own host id range, with real burrows: two at once have disjoint ranges and own
/// their files as different host uids; the shared cache stays writable from one to the next; an
/// agent that attacks the other burrow through the cache, or as if it had escaped to the host, fails.
final class UserRangeTests: XCTestCase {
    static let cache = "/home/agent/.cache/burrow-test"

    func testTwoBurrowsAtOnceAreDifferentHostUsersAndCannotReachEachOther() async throws {
        let app = try await BurrowTestApp { config in
            config.agentCommand = ["sh", "-c"]
            config.taskInput = .argument
        }
        defer { Task { await app.cleanUp() } }
        let victim = try await app.launch("""
        exec 2>&1; C=\(Self.cache)
        echo victim-shared > $C/shared.txt
        (umask 077; echo victim-secret > $C/private.txt)
        (umask 077; echo victim-work > /workspace/victim.txt; echo victim-session > /burrow/claude/victim.txt)
        echo victim-ready; sleep 60
        """)
        let victimPid = try await runningPid(app, victim.id, file: "/workspace/victim.txt")
        // The attacker: the task is the attack script.
        let attacker = try await app.launch("""
        exec 2>&1; C=\(Self.cache)
        echo attacker-work > /workspace/attacker.txt
        echo "uid_map: $(tr -s ' ' < /proc/self/uid_map)"
        cat $C/shared.txt && echo "shared read ok"
        echo attacker-appended >> $C/shared.txt && echo "shared write ok"
        echo attacker-new > $C/new.txt && echo "new file ok"
        cat $C/private.txt; echo "private read exit=$?"
        chmod 666 $C/private.txt; echo "private chmod exit=$?"
        echo "processes seen: $(ls /proc | grep -c '^[0-9]')"
        echo "attack-done-$((6 * 7))"; sleep 60
        """)
        let attackerPid = try await runningPid(app, attacker.id, file: "/workspace/attacker.txt")

        // Disjoint ranges, read from the host.
        let victimMap = try uidMap(victimPid), attackerMap = try uidMap(attackerPid)
        XCTAssertEqual(victimMap.inside, 0)
        XCTAssertEqual(attackerMap.inside, 0)
        XCTAssertFalse(victimMap.range.overlaps(attackerMap.range), "\(victimMap) and \(attackerMap) overlap")
        let victimRecord = try await app.record(victim.id), attackerRecord = try await app.record(attacker.id)
        XCTAssertNotNil(victimRecord.ids)
        XCTAssertNotEqual(victimRecord.ids, attackerRecord.ids)
        // Each one's workspace files belong to its own range's agent on the host.
        let victimOwner = try XCTUnwrap(FileSystem.status("/proc/\(victimPid)/root/workspace/victim.txt")).owner
        let attackerOwner = try XCTUnwrap(FileSystem.status("/proc/\(attackerPid)/root/workspace/attacker.txt")).owner
        XCTAssertEqual(Int(victimOwner), victimMap.host + 1000)
        XCTAssertEqual(Int(attackerOwner), attackerMap.host + 1000)

        // In the burrow: the shared cache is shared, the victim's private file is not.
        try await waitForLog(app, attacker.id, "attack-done-42")

        // As if the attacker escaped to the host as its agent: it can neither signal the victim's agent
        // nor read the victim's Claude Code state (its config volume, on the host's disk).
        try await escapeProbes(app, victim: victim, victimPid: victimPid, victimOwner: victimOwner, attackerOwner: attackerOwner)

        _ = try await app.manager.stop(attacker.id)
        _ = try await app.manager.stop(victim.id)
        _ = try await app.finished(attacker.id)
        _ = try await app.finished(victim.id)
        let seen = try await logText(app, attacker.id)
        XCTAssertTrue(seen.contains("victim-shared"), seen)
        XCTAssertTrue(seen.contains("shared read ok") && seen.contains("shared write ok") && seen.contains("new file ok"), seen)
        XCTAssertTrue(seen.contains("private read exit=1") && seen.contains("Permission denied"), seen)
        XCTAssertTrue(seen.contains("private chmod exit=1"), seen)
        XCTAssertFalse(seen.contains("victim-secret"), seen)

        // What the attacker wrote into the cache is the next burrow's to change.
        let next = try await app.launch("exec 2>&1; C=\(Self.cache); echo next >> $C/new.txt && echo next-write-ok; cat $C/shared.txt; id -u")
        _ = try await app.finished(next.id)
        let nextLog = try await logText(app, next.id)
        XCTAssertTrue(nextLog.contains("next-write-ok") && nextLog.contains("attacker-appended"), nextLog)
        await app.cleanUp()
        // Everything above ran; only the host-side probes did not, and the skip says so.
        try PodmanTestEnvironment.requireRoot("acting as the burrows' host uids")
    }

    /// The host-side probes, as root only (setpriv to the burrows' uids).
    private func escapeProbes(_ app: BurrowTestApp, victim: BurrowRecord, victimPid: Int, victimOwner: UInt32, attackerOwner: UInt32) async throws {
        guard getuid() == 0 else { return }
        let victimAgent = try XCTUnwrap(Self.children(victimPid).first)
        let volume = try await app.manager.podman.inspectVolume(victim.configVolume)
        let session = try XCTUnwrap(volume.mountpoint) + "/victim.txt"
        let asAttacker = ["setpriv", "--reuid=\(attackerOwner)", "--regid=\(attackerOwner)", "--clear-groups", "--"]
        let asVictim = ["setpriv", "--reuid=\(victimOwner)", "--regid=\(victimOwner)", "--clear-groups", "--"]
        let signal = try await Subprocess.run(asAttacker + ["kill", "-0", String(victimAgent)])
        XCTAssertNotEqual(signal.status, 0, "the attacker signalled the victim")
        // The same probes as the victim's own uid work: they prove the probes can succeed.
        let ownSignal = try await Subprocess.run(asVictim + ["kill", "-0", String(victimAgent)])
        XCTAssertEqual(ownSignal.status, 0, ownSignal.stderr)
        // (A Podman in another root, as scripts/podman5-env.sh runs it, keeps its volumes out of sight.)
        if FileSystem.exists(session) {
            let peek = try await Subprocess.run(asAttacker + ["cat", session])
            XCTAssertNotEqual(peek.status, 0)
            XCTAssertFalse(peek.stdout.contains("victim-session"))
            let own = try await Subprocess.run(asVictim + ["cat", session])
            XCTAssertEqual(own.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "victim-session", own.stderr)
        }
    }

    func testACacheMadeInTheSharedNamespaceIsHandedToTheCacheGroupOnce() async throws {
        let cacheName = PodmanTestEnvironment.uniqueName("cache")
        let before = try await BurrowTestApp(cacheName: cacheName) { config in
            config.sandbox.userNamespace = .shared
            config.agentCommand = ["sh", "-c"]
            config.taskInput = .argument
        }
        defer { Task { await before.cleanUp() } }
        let old = try await before.launch("exec 2>&1; mkdir -p \(Self.cache)/pkg && echo old > \(Self.cache)/pkg/file && echo old-ok")
        _ = try await before.finished(old.id)
        let oldLog = try await logText(before, old.id)
        XCTAssertTrue(oldLog.contains("old-ok"), oldLog)
        let after = try await BurrowTestApp(cacheName: cacheName) { config in
            config.agentCommand = ["sh", "-c"]
            config.taskInput = .argument
        }
        defer { Task { await after.cleanUp() } }
        let script = "exec 2>&1; C=\(Self.cache); echo more >> $C/pkg/file && echo append-ok; echo new > $C/pkg/new && echo create-ok; mkdir $C/dir && echo mkdir-ok; cat $C/pkg/file"
        // The first stays running while the second works: two ranges for sure.
        let first = try await after.launch(script + "; echo first-done-$((6 * 7)); sleep 60")
        try await waitForLog(after, first.id, "first-done-42")
        let second = try await after.launch(script.replacingOccurrences(of: "mkdir $C/dir && echo mkdir-ok", with: "echo x > $C/dir/second && echo in-dir-ok"))
        _ = try await after.finished(second.id)
        _ = try await after.manager.stop(first.id)
        _ = try await after.finished(first.id)
        let firstIDs = try await after.record(first.id).ids, secondIDs = try await after.record(second.id).ids
        XCTAssertNotEqual(firstIDs, secondIDs, "two burrows running at once")
        let firstLog = try await logText(after, first.id), secondLog = try await logText(after, second.id)
        XCTAssertTrue(firstLog.contains("append-ok") && firstLog.contains("create-ok") && firstLog.contains("mkdir-ok"), firstLog)
        XCTAssertTrue(secondLog.contains("append-ok") && secondLog.contains("create-ok") && secondLog.contains("in-dir-ok"), secondLog)
        XCTAssertTrue(secondLog.contains("old\nmore\nmore"), "both ranges wrote to the file the shared namespace made: \(secondLog)")
        await after.cleanUp()
        await before.cleanUp()
    }

    func testSharedModeKeepsPodmansDefaultNamespace() async throws {
        let app = try await BurrowTestApp { config in
            config.sandbox.userNamespace = .shared
            config.agentCommand = ["sh", "-c"]
            config.taskInput = .argument
        }
        defer { Task { await app.cleanUp() } }
        let record = try await app.launch("exec 2>&1; tr -s ' ' < /proc/self/uid_map; echo x > /workspace/x && echo workspace-ok")
        let finished = try await app.finished(record.id)
        XCTAssertNil(finished.ids)
        let text = try await logText(app, record.id)
        XCTAssertTrue(text.contains("workspace-ok"), text)
        let ranges = text.split(separator: "\n").filter { $0.split(separator: " ").compactMap { Int($0) }.count == 3 }
        XCTAssertEqual(ranges.count, 2, "Podman's default mapping (0 → the Podman user, 1… → its subordinate ids): \(text)")
        await app.cleanUp()
    }

    // MARK: - Helpers

    /// The host pid of the burrow's container once it runs and `file` exists in it.
    private func runningPid(_ app: BurrowTestApp, _ id: String, file: String) async throws -> Int {
        try await withTimeout(60) {
            while true {
                let record = try await app.record(id)
                if record.state.isFinal { throw XCTSkip("burrow \(id) ended early: \(record.error ?? "")") }
                if record.state == .running, let raw = try? await app.manager.podman.rawInspect(record.container),
                   let object = try? JSONSerialization.jsonObject(with: Data(raw.utf8)) as? [String: Any],
                   let state = object["State"] as? [String: Any], let pid = state["Pid"] as? Int, pid > 0,
                   FileSystem.exists("/proc/\(pid)/root" + file) {
                    return pid
                }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    static func children(_ pid: Int) -> [Int] {
        let text = (try? FileSystem.readFile("/proc/\(pid)/task/\(pid)/children")).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return text.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    private struct Mapping: CustomStringConvertible {
        let inside: Int, host: Int, size: Int
        var range: Range<Int> { host..<host + size }
        var description: String { "\(inside) → \(host) (\(size))" }
    }

    private func uidMap(_ pid: Int) throws -> Mapping {
        let text = String(decoding: try FileSystem.readFile("/proc/\(pid)/uid_map"), as: UTF8.self)
        let lines = text.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "one range, nothing else of the Podman user's: \(text)")
        let fields = lines[0].split(separator: " ").compactMap { Int($0) }
        guard fields.count == 3 else { throw XCTSkip("unreadable uid_map: \(text)") }
        return Mapping(inside: fields[0], host: fields[1], size: fields[2])
    }

    /// The burrow's log lines (once it has ended).
    private func logText(_ app: BurrowTestApp, _ id: String) async throws -> String {
        let events = try await app.readStream(id)
        return events.filter { $0.kind == "log" }.compactMap { event -> String? in
            (try? JSONDecoder().decode(OutputEvent.LogLine.self, from: Data(event.data.utf8)))?.text
        }.joined(separator: "\n")
    }

    /// Waits until the running burrow's event log (on disk) holds `text` (which must not be in its
    /// task: the record's events carry the task).
    private func waitForLog(_ app: BurrowTestApp, _ id: String, _ text: String) async throws {
        let path = app.stateDir + "/burrows/\(id)/events.ndjson"
        try await withTimeout(60) {
            while !String(decoding: (try? FileSystem.readFile(path)) ?? [], as: UTF8.self).contains(text) {
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }
}
