@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import Foundation
import XCTest

/// The way-home helper is started while the agent works, waiting with the harvest as its command, and
/// a signal runs it (`HelperContainer+Started`): it must be up during the turn, out of the agent's
/// reach, gone after the turn, replaced when it vanished, and bounded like any helper.
final class StartedHomeHelperTests: XCTestCase {
    /// The agent works 4 s; meanwhile it looks for Burrow's helper among the processes it can see.
    /// The grep pattern does not match its own command line.
    static let lookingAgent = """
    echo '{"type":"system","subtype":"init","session_id":"s"}'
    sleep 4
    n=0; for f in /proc/[0-9]*/cmdline; do tr '\\000' ' ' < "$f" 2>/dev/null | grep -q '21474836[4]7' && n=$((n+1)); done
    echo "seen=$n procs=$(ls -d /proc/[0-9]* | wc -l)" > probe.txt
    echo work > work.txt
    """

    func testTheHelperIsUpWhileTheAgentWorksOutOfItsReachAndTheWorkComesHomeThroughIt() async throws {
        let (attack, events, record, helper, idle) = try await launchWithHelperUp()
        let podman = attack.app.manager.podman
        let finished = try await attack.app.finished(record.id)
        let seen = await events.containers(named: helper)
        XCTAssertEqual(seen.map(\.id), [idle.id], "one helper for the way home, the one that waited: \(seen)")
        XCTAssertFalse(seen.first?.actions.contains("exec") == true, "the signal ran the harvest, no exec: \(seen)")
        XCTAssertEqual(finished.state, .succeeded, finished.error ?? "")
        let files = try await attack.branchFiles(finished)
        XCTAssertTrue(files.contains("work.txt"), files)
        let probe = try await Subprocess.check(["git", "-C", attack.app.repoPath, "show", "burrow/\(record.id):probe.txt"]).stdout
        XCTAssertTrue(probe.hasPrefix("seen=0 procs="), "the agent cannot see the helper's processes: \(probe)")
        XCTAssertGreaterThan(Int(probe.split(separator: "=").last!.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0, 1, "the probe ran")
        await assertGone(helper, podman: podman)
    }

    func testAHelperRemovedFromOutsideGivesWayToOneMadeAtTheEnd() async throws {
        let (attack, events, record, helper, idle) = try await launchWithHelperUp()
        let podman = attack.app.manager.podman
        try await podman.remove(helper)
        let finished = try await attack.app.finished(record.id)
        let seen = await events.containers(named: helper)
        XCTAssertEqual(seen.count, 2, "the removed helper was replaced: \(seen)")
        XCTAssertEqual(seen.first?.id, idle.id, "the first is the one that waited: \(seen)")
        XCTAssertTrue(seen.last?.actions.contains("remove") == true, "its replacement went too: \(seen)")
        XCTAssertEqual(finished.state, .succeeded, finished.error ?? "")
        let files = try await attack.branchFiles(finished)
        XCTAssertTrue(files.contains("work.txt"), files)
        await assertGone(helper, podman: podman)
    }

    func testAStartedHelperIsBoundedByItsTimeLimitAndSaysWhyItFailed() async throws {
        let podman = try await PodmanTestEnvironment.client()
        let label = PodmanTestEnvironment.uniqueName("started-helper")
        let volume = label + "-ws"
        try await podman.createVolume(name: volume, labels: ["io.burrow.test": label])
        var helper = HelperContainer(podman: podman, image: try await HelperImage.ensure(podman), name: label, labels: ["io.burrow.test": label],
                                     user: AgentIdentity(uid: 1000, gid: 1000), volumes: [.init(name: volume, destination: "/workspace")],
                                     step: "testing a started helper")
        addTeardownBlock {
            try? await podman.remove(label)
            try? await podman.removeVolume(volume, force: true)
        }
        helper.timeout = .seconds(2)
        let directory = try TemporaryDirectory.make("started-helper")

        let sleeping = ["/bin/sh", "-c", "echo partial; sleep 60"]
        let waitingToSleep = try await helper.startWaiting(sleeping)
        let started = Monotonic.now()
        do {
            _ = try await helper.runStarted(waitingToSleep, collect: { _, _, _ in 0 }) { _, _ in 0 }
            XCTFail("a helper past its time limit must fail")
        } catch CrossingError.helperTimedOut(let step, let seconds) {
            XCTAssertEqual(step, "testing a started helper")
            XCTAssertEqual(seconds, 2)
        }
        XCTAssertLessThan(Double(Monotonic.now() - started) / 1e9, 20, "killed at its limit, not left to sleep")
        await assertGone(label, podman: podman)

        /// The failure a started helper running `script` ends with (its detail: the last words).
        func failure(of script: String) async throws -> String {
            let waiting = try await helper.startWaiting(["/bin/sh", "-c", script])
            do {
                _ = try await helper.runStarted(waiting, collect: { _, _, _ in 0 }) { _, _ in 0 }
                XCTFail("\(script) must fail")
                return ""
            } catch CrossingError.helperFailed(_, let detail) {
                await assertGone(label, podman: podman)
                return detail
            }
        }

        // Its last words on stderr are all read, however much it wrote there just before its end.
        let lastWords = try await failure(of: "echo out; i=0; while [ $i -lt 300 ]; do echo err-$i >&2; i=$((i+1)); done; echo why-it-failed >&2; exit 3")
        XCTAssertTrue(lastWords.contains("why-it-failed"), lastWords)
        XCTAssertFalse(lastWords.contains(HelperContainer.readyLine), lastWords)

        // What the command prints cannot end it early: the shell's line carries a word only Burrow knows.
        let forged = try await failure(of: "echo 'burrow-helper: done 0'; echo 'burrow-helper: done guess 0'; sleep 1; echo forged-late >&2; exit 4")
        XCTAssertTrue(forged.contains("forged-late"), "read to the command's real end: \(forged)")

        // Its files are read while it still runs (its command ended, the shell sleeps again): asked for
        // while it stopped, Podman 4.3 under load handed out an empty archive ("the archive holds no file").
        // The last line has no newline: the shell's word still comes after it.
        let writing = ["/bin/sh", "-c", "echo data > /out/f; echo first; printf last"]
        let waitingToWrite = try await helper.startWaiting(writing)
        let (lines, size, state) = try await helper.runStarted(waitingToWrite, collect: { podman, name, _ in
            let state = try await podman.inspectContainer(name).state
            return (try await ArchivedFile.save(try await podman.getArchive(name, path: "/out/f"), to: directory + "/f", limit: 1 << 20), state)
        }) { outcome, collected in (outcome.stdout, collected.0, collected.1) }
        XCTAssertEqual(lines, ["first", "last"], "the command's output, without the shell's lines")
        XCTAssertTrue(state.running, "the helper still runs while its files are read: \(state.status)")
        XCTAssertGreaterThan(size, 0, "a file is read from the running helper")
        await assertGone(label, podman: podman)
    }

    /// The signal comes right after the start (an agent that exits at once): the helper says it waits
    /// before `startWaiting` returns, so the signal is never sent before its trap is set (it would be
    /// lost, and the way home would wait out the time limit).
    func testASignalRightAfterTheStartRunsTheCommand() async throws {
        let podman = try await PodmanTestEnvironment.client()
        let label = PodmanTestEnvironment.uniqueName("started-at-once")
        var helper = HelperContainer(podman: podman, image: try await HelperImage.ensure(podman), name: label, labels: ["io.burrow.test": label],
                                     user: AgentIdentity(uid: 1000, gid: 1000), volumes: [], step: "testing a started helper")
        addTeardownBlock { try? await podman.remove(label, stopTimeout: 0) }
        helper.timeout = .seconds(5)
        for round in 1...6 {
            let command = ["/bin/echo", "ran-\(round)"]
            let waiting = try await helper.startWaiting(command)
            let lines = try await helper.runStarted(waiting, collect: { _, _, _ in 0 }) { outcome, _ in outcome.stdout }
            XCTAssertEqual(lines, ["ran-\(round)"])
        }
    }

    /// The looking agent launched, its Podman events followed, and its way-home helper seen up and idle.
    private func launchWithHelperUp() async throws -> (AttackBurrow, HelperEvents, BurrowRecord, String, (id: String, command: [String])) {
        let attack = try await AttackBurrow.make(self)
        let podman = attack.app.manager.podman
        let events = try await HelperEvents(podman: podman, stateDir: attack.app.stateDir)
        let record = try await attack.app.launch(Self.lookingAgent)
        let helper = Crossing.helperName(record.id, role: "home")
        let idle = try await idleContainer(helper, podman: podman, id: record.id, app: attack.app)
        XCTAssertEqual(idle.command.prefix(2), ["/bin/sh", "-c"], "the helper is up, waiting, while the agent works: \(idle.command)")
        XCTAssertTrue(idle.command.count > 3 && idle.command[2].contains("USR1") && idle.command[3] == "burrow-waiting", "\(idle.command)")
        XCTAssertEqual(idle.command.dropFirst(4).prefix(2), ["/bin/sh", "/usr/local/bin/burrow-harvest"], "with the harvest: \(idle.command)")
        return (attack, events, record, helper, idle)
    }

    /// The id and command of container `name` once it runs (the turn's agent still at work), within 30 s.
    private func idleContainer(_ name: String, podman: PodmanClient, id: String, app: BurrowTestApp) async throws -> (id: String, command: [String]) {
        try await withTimeout(30) {
            while true {
                if let container = try? await podman.inspectContainer(name), container.state.running {
                    return (container.id, container.config?.cmd ?? [])
                }
                let record = try await app.record(id)
                XCTAssertFalse(record.state.isFinal, "the turn ended before its helper was seen")
                if record.state.isFinal { return ("", []) }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    private func assertGone(_ name: String, podman: PodmanClient, file: StaticString = #filePath, line: UInt = #line) async {
        do {
            _ = try await podman.inspectContainer(name)
            XCTFail("\(name) is still in Podman", file: file, line: line)
        } catch {
            XCTAssertTrue((error as? PodmanError)?.isNotFound == true, "\(error)", file: file, line: line)
        }
    }
}
