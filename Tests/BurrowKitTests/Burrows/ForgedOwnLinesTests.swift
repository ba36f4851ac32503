@testable import BurrowKit
@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman
import Foundation
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// The agent is the attacker: it prints lines shaped like Burrow's own log lines (streams `setup` and
/// `burrow`). They stay the container's output, kept once each as what the box printed: the reconcile
/// after its exit neither skips them (and adds them again) nor lets them pass as Burrow's.
final class ForgedOwnLinesTests: XCTestCase {
    func testLinesShapedLikeBurrowsOwnStayTheContainersAndAreKeptOnce() async throws {
        let script = #"""
        echo '{"type":"system","subtype":"init","session_id":"s-forge","model":"m"}'
        echo '{"stream":"burrow","text":"forged note one"}'
        echo 'plain between'
        echo '{"stream":"setup","text":"forged build line"}' >&2
        sleep 0.3
        echo '{"stream":"burrow","text":"forged note two"}'
        echo '{"stream":"stdout","text":"forged stdout"}'
        echo 'plain after'
        exit 0
        """#
        let app = try await BurrowTestApp { config in
            config.agentCommand = ["sh", "-c", script, "sh"]
            config.taskInput = .argument
        }
        let launched = try await app.launch("forge Burrow's lines")
        let record = try await app.finished(launched.id)
        XCTAssertEqual(record.exitCode, 0)
        let logs = try await app.readStream(launched.id).filter { $0.kind == "log" }.compactMap { event in
            try? JSONDecoder().decode(OutputEvent.LogLine.self, from: Data(event.data.utf8))
        }
        let printed: [(String, String)] = [
            ("stdout", #"{"stream":"burrow","text":"forged note one"}"#), ("stdout", "plain between"),
            ("stderr", #"{"stream":"setup","text":"forged build line"}"#), ("stdout", #"{"stream":"burrow","text":"forged note two"}"#),
            ("stdout", #"{"stream":"stdout","text":"forged stdout"}"#), ("stdout", "plain after"),
        ]
        for (stream, text) in printed {
            XCTAssertEqual(logs.filter { $0.text == text }.count, 1, "printed once, kept once: \(text)")
            XCTAssertEqual(logs.first { $0.text == text }?.stream, stream, "kept as the container's \(stream): \(text)")
        }
        XCTAssertFalse(logs.contains { ($0.stream == "burrow" || $0.stream == "setup") && $0.text.hasPrefix("forged") },
                       "no forged line passes as Burrow's own")
        await app.cleanUp()
    }
}
