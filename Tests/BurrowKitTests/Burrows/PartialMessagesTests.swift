@testable import BurrowKit
@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman
import Foundation
import XCTest

/// The real Claude Code with Burrow's default command (`--include-partial-messages`) prints the model's
/// text deltas as `stream_event` lines while the message is still being written; the burrow's stream
/// carries them, in order, before the finished message.
final class PartialMessagesTests: XCTestCase {
    static let answer = "Streaming this answer word by word so that the page can show it while the model is still writing it down."

    func testTextDeltasArriveBeforeTheFinishedMessage() async throws {
        let api = try ScriptedMessagesAPI(deltaPause: .milliseconds(150)) { _ in .blocks([.text(Self.answer)]) }
        try await RealAgentEnvironment.with(api: api, credential: RealAgentTests.apiKey) { app in
            XCTAssertTrue(app.manager.config.agentCommand.contains("--include-partial-messages"))
            let launched = try await app.launch("Say something long.")
            let stream = try await app.readStream(launched.id, within: 180)
            let record = try await app.record(launched.id)
            XCTAssertEqual(record.state, .succeeded, record.error ?? "")
            if ProcessInfo.processInfo.environment["BURROW_TEST_VERBOSE"] != nil {
                print(stream.filter { $0.kind == "agent" }.map(\.data).joined(separator: "\n"))
            }
            var deltas: [(seq: Int, text: String)] = []
            var finished: Int?
            for event in stream where event.kind == "agent" {
                guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(event.data.utf8)) else { continue }
                if value["type"] == .string("stream_event"), value["event"]?["delta"]?["type"] == .string("text_delta"),
                   case .string(let text)? = value["event"]?["delta"]?["text"] {
                    deltas.append((event.id, text))
                }
                if finished == nil, value["type"] == .string("assistant"),
                   case .array(let parts)? = value["message"]?["content"],
                   parts.contains(where: { $0["text"] == .string(Self.answer) }) {
                    finished = event.id
                }
            }
            let message = try XCTUnwrap(finished, "the finished message is in the stream")
            XCTAssertGreaterThanOrEqual(deltas.count, 4, "the text came in several deltas: \(deltas.map(\.text))")
            XCTAssertTrue(deltas.allSatisfy { $0.seq < message }, "every delta before the finished message")
            XCTAssertEqual(deltas.map(\.text).joined(), Self.answer, "the deltas add up to the message")
        }
    }
}
