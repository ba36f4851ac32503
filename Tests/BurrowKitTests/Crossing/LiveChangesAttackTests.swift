@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import Foundation
import XCTest

/// Live changes while the agent runs, the agent being the attacker: everything it plants in its repo
/// acts only inside the changes helper's box; what comes back is a bounded list of names and counts.
final class LiveChangesAttackTests: XCTestCase {
    /// Waits for a live count (made while the burrow runs) that satisfies `done`.
    private func liveChanges(_ attack: AttackBurrow, _ id: String, within seconds: Double = 120,
                             until done: @escaping @Sendable (WorkspaceChanges) -> Bool) async throws -> WorkspaceChanges {
        let manager = attack.app.manager
        do {
            return try await withTimeout(seconds) {
                while true {
                    if let changes = try await manager.storedChanges(id), changes.live, done(changes) { return changes }
                    try await Task.sleep(for: .milliseconds(200))
                }
            }
        } catch {
            let last = try? await manager.storedChanges(id)
            print("last changes: \(last.map { "\($0.totalFiles) files, error \($0.error ?? "none"), live \($0.live)" } ?? "none")")
            throw error
        }
    }

    func testPlantedGitSettingsAndOddNamesStayInTheBox() async throws {
        let attack = try await AttackBurrow.make(self)
        await attack.app.manager.tuneChangeInterval(.seconds(1))
        let script = CrossingAttackTests.plantEverything.replacingOccurrences(of: "MARKER", with: attack.marker) + """

        printf 'one\\ntwo\\n' > "$(printf 'new\\nline\\tand tab')"
        printf 'hello\\n' >> README.md
        printf '\\000\\001binary' > blob.bin
        printf 'x' > "$(printf 'evil\\342\\200\\256txt.exe')"
        touch /workspace/.ready
        i=0; while [ $i -lt 600 ] && [ ! -f /workspace/.stop ]; do sleep 0.1; i=$((i+1)); done
        """
        let record = try await attack.app.launch(script)
        let live = try await liveChanges(attack, record.id) { $0.files.contains { $0.path.hasPrefix("new") } }
        XCTAssertNil(live.error)
        let names = live.files.map(\.path)
        XCTAssertTrue(names.contains("new\u{240A}line\u{2409}and tab"), "a newline and a tab shown as symbols: \(names)")
        XCTAssertTrue(names.contains("evil\u{FFFD}txt.exe"), "a right-to-left override replaced: \(names)")
        XCTAssertEqual(live.files.first { $0.path == "README.md" }?.added, 1)
        XCTAssertEqual(live.files.first { $0.path == "blob.bin" }.map { $0.added == nil && $0.removed == nil }, true, "binary: no counts")
        XCTAssertTrue(names.contains("PLANTED.txt") && names.contains(".gitattributes"), "the agent's commits count too: \(names)")
        XCTAssertEqual(live.totalFiles, live.files.count)
        XCTAssertFalse(live.truncated)
        let running = try await attack.app.record(record.id)
        XCTAssertEqual(running.changes?.live, true, "the record carries the summary")
        XCTAssertEqual(running.changes?.files, [], "the record carries no list")
        let response = try await attack.app.server.request("GET", "/api/burrows/\(record.id)/changes")
        XCTAssertEqual(response.status, 200)
        XCTAssertTrue(response.text.contains("new\u{240A}line"), response.text.prefix(400).description)
        let events = try String(decoding: FileSystem.readFile(attack.app.stateDir + "/burrows/\(record.id)/events.ndjson"), as: UTF8.self)
        XCTAssertTrue(events.contains("\"kind\":\"changes\""), "a changes event in the burrow's stream")
        _ = try await attack.app.manager.stop(record.id)
        let finished = try await attack.app.finished(record.id, within: 120)
        XCTAssertEqual(attack.escapes(), [], "a planted command ran on the host")
        let final = try await attack.app.manager.storedChanges(record.id)
        XCTAssertEqual(final?.live, false, "the result's count replaces the live one")
        XCTAssertEqual(finished.changes?.live, false)
        XCTAssertTrue(final?.files.contains { $0.path == "README.md" } ?? false, "\(final?.files.map(\.path) ?? [])")
    }

    func testAHundredThousandFilesAndHugeNamesGiveABoundedAnswer() async throws {
        let attack = try await AttackBurrow.make(self)
        await attack.app.manager.tuneChangeInterval(.seconds(1))
        // 100,000 new files with 200-character names (20 MB of numstat), and a 20 MB file of newlines.
        let record = try await attack.app.launch("""
        cd /workspace && mkdir d && awk 'BEGIN { for (i = 0; i < 100000; i++) { f = sprintf("d/%0200d", i); print "x" > f; close(f) } }' \
          && head -c 20000000 /dev/zero | tr '\\000' '\\n' > big.txt && git config core.fsmonitor 'touch \(attack.marker)-fsmonitor' \
          && i=0; while [ $i -lt 1800 ] && [ ! -f /workspace/.stop ]; do sleep 0.1; i=$((i+1)); done
        """)
        let live = try await liveChanges(attack, record.id, within: 150) { $0.totalFiles >= 100_001 }
        XCTAssertNil(live.error)
        XCTAssertTrue(live.truncated)
        XCTAssertLessThanOrEqual(live.files.count, WorkspaceChanges.maxFiles)
        XCTAssertGreaterThan(live.files.count, 100, "the first files are listed")
        XCTAssertTrue(live.files.allSatisfy { $0.path.count <= 301 })
        XCTAssertEqual(live.totalFiles, 100_001)
        let stored = try FileSystem.readFile(attack.app.stateDir + "/burrows/\(record.id)/changes.json")
        XCTAssertLessThan(stored.count, 512 << 10, "what the host keeps is bounded")
        _ = try await attack.app.manager.stop(record.id)
        _ = try await attack.app.finished(record.id, within: 240)
        XCTAssertEqual(attack.escapes(), [])
    }

    func testARemovedDotGitSaysSoWhileRunning() async throws {
        let attack = try await AttackBurrow.make(self)
        await attack.app.manager.tuneChangeInterval(.seconds(1))
        let record = try await attack.app.launch("cd /workspace && echo x > X.txt && rm -rf .git && sleep 30")
        let live = try await liveChanges(attack, record.id) { $0.error != nil }
        XCTAssertTrue(live.error?.contains(".git") ?? false, live.error ?? "")
        _ = try await attack.app.manager.stop(record.id)
        _ = try await attack.app.finished(record.id, within: 120)
    }
}
