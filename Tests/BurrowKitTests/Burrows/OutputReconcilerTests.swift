@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// The reconciliation that makes an event log hold every container line exactly once.
final class OutputReconcilerTests: XCTestCase {
    func line(_ stream: BurrowPodman.OutputStream, _ text: String) -> LineAssembler.Line { .init(stream: stream, bytes: Array(text.utf8)) }

    func event(_ line: LineAssembler.Line) -> OutputEvent {
        OutputEvent(line, summary: line.stream == .stdout ? AgentOutput.parse(line.bytes) : nil)
    }

    func testLinesMissingFromTheLogAreFoundWhateverTheStreamOrder() async throws {
        let directory = try TemporaryDirectory.make()
        let log = try BurrowEvents(path: directory + "/events.ndjson")
        let agent = line(.stdout, #"{"type":"system","session_id":"s"}"#)
        // Recorded live: some lines were missed, a state event sits between them.
        for recorded in [agent, line(.stdout, "b"), line(.stderr, "e1"), line(.stdout, "same")] {
            try await log.append(kind: event(recorded).kind, data: event(recorded).data)
        }
        try await log.append(kind: .state, data: "{}")
        let complete = [agent, line(.stdout, "a"), line(.stderr, "e0"), line(.stdout, "b"), line(.stderr, "e1"),
                        line(.stdout, "same"), line(.stdout, "same"), line(.stdout, "c")]
        var reconciler = try OutputReconciler(eventsPath: log.path, sequences: 1...(await log.lastSequence))
        var missing: [String] = []
        for candidate in complete where try !reconciler.isRecorded(candidate) {
            missing.append(candidate.text)
            // Appended while reconciling: must not count as recorded for what follows.
            try await log.append(kind: event(candidate).kind, data: event(candidate).data)
        }
        XCTAssertEqual(missing, ["a", "e0", "same", "c"])
        XCTAssertEqual(try reconciler.unmatchedCount(), 0)
    }

    /// Recorded agent events are matched by their bytes and log lines by the line's log form, whatever
    /// the reader makes of the line now: lines an older Burrow kept differently are not added twice
    /// (its lenient reader took a trailing comma for an event; it refused a lone surrogate escape).
    func testALineIsMatchedHoweverAnOlderReaderKeptIt() async throws {
        let directory = try TemporaryDirectory.make()
        let log = try BurrowEvents(path: directory + "/events.ndjson")
        let lenient = line(.stdout, #"{"type":"assistant","message":[1,]}"#)
        XCTAssertEqual(event(lenient).kind, .log, "the strict reader takes it for plain output now")
        try await log.append(kind: .agent, data: lenient.text)
        let surrogate = line(.stdout, #"{"type":"assistant","s":"\ud800"}"#)
        XCTAssertEqual(event(surrogate).kind, .agent, "the strict reader takes it for an event now")
        try await log.append(kind: .log, data: BurrowManager.json(OutputEvent.LogLine(stream: "stdout", text: surrogate.text)))
        try await log.append(kind: event(line(.stdout, "plain")).kind, data: event(line(.stdout, "plain")).data)
        var reconciler = try OutputReconciler(eventsPath: log.path, sequences: 1...(await log.lastSequence))
        let complete = [lenient, surrogate, line(.stdout, "plain"), line(.stderr, #"{"type":"assistant"}"#)]
        let missing = try complete.filter { candidate in try !reconciler.isRecorded(candidate) }
        XCTAssertEqual(missing.map(\.text), [#"{"type":"assistant"}"#], "an agent event's bytes on stderr are not the stdout event")
        XCTAssertEqual(try reconciler.unmatchedCount(), 0)
    }

    func testBurrowsOwnLinesAmongTheOutputAreNotTakenForTheContainers() async throws {
        let directory = try TemporaryDirectory.make()
        let log = try BurrowEvents(path: directory + "/events.ndjson")
        let own = { (stream: String, text: String) in BurrowManager.json(OutputEvent.LogLine(stream: stream, text: text)) }
        // A devcontainer's build log before the agent, the disk watch's note in the middle of its output.
        try await log.append(kind: .log, data: own("setup", "devcontainer: building"))
        let complete = [line(.stdout, #"{"type":"system","session_id":"s"}"#), line(.stdout, "plain one"), line(.stderr, "e1"),
                        line(.stdout, #"{"type":"assistant","message":{"id":"m"}}"#), line(.stdout, "plain two")]
        for (index, recorded) in complete.enumerated() {
            if index == 2 { try await log.append(kind: .log, data: own("burrow", "Burrow cannot measure this burrow's disk use")) }
            try await log.append(kind: event(recorded).kind, data: event(recorded).data)
        }
        var reconciler = try OutputReconciler(eventsPath: log.path, sequences: 1...(await log.lastSequence))
        var missing: [String] = []
        for candidate in complete where try !reconciler.isRecorded(candidate) { missing.append(candidate.text) }
        XCTAssertEqual(missing, [], "every line was recorded: none may be added again")
        XCTAssertEqual(try reconciler.unmatchedCount(), 0)
    }

    func testOnlyTheGivenSequencesCount() async throws {
        let directory = try TemporaryDirectory.make()
        let log = try BurrowEvents(path: directory + "/events.ndjson")
        try await log.append(kind: event(line(.stdout, "turn one")).kind, data: event(line(.stdout, "turn one")).data)
        try await log.append(kind: .turn, data: "{}")
        var reconciler = try OutputReconciler(eventsPath: log.path, sequences: 2...(await log.lastSequence))
        XCTAssertFalse(try reconciler.isRecorded(line(.stdout, "turn one")), "a line of an earlier container is not this one's")
    }

    func testFileLineReaderReadsLinesAcrossPiecesAndAnUnterminatedTail() throws {
        let directory = try TemporaryDirectory.make()
        let path = directory + "/lines"
        let lines = (0..<500).map { String(repeating: "x", count: $0 % 37) + "\($0)" }
        try FileSystem.writeAtomically(Array((lines.joined(separator: "\n")).utf8), to: path)
        let reader = try FileLineReader(path: path, pieceSize: 64)
        var read: [String] = []
        while let next = try reader.next() { read.append(String(decoding: next, as: UTF8.self)) }
        XCTAssertEqual(read, lines)
    }
}
