@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowKit
import XCTest
@testable import BurrowCommands

/// The client commands' pure parts: their command lines, the event-stream parser, terminal safety.
final class ClientCommandLineTests: XCTestCase {
    func parse(_ arguments: [String]) -> Result<Invocation, UsageError> { CommandLineParser.parse(arguments) }

    func testClientVerbsParse() throws {
        var run = ClientInvocation(verb: .run, arguments: ["demo", "fix the tests"])
        run.wait = true
        run.json = true
        XCTAssertEqual(try parse(["run", "demo", "fix the tests", "--wait", "--json"]).get(), .client(run))
        run.follow = true
        run.json = false
        run.configPath = "b.json"
        XCTAssertEqual(try parse(["run", "--follow", "--config=b.json", "demo", "fix the tests"]).get(), .client(run), "--follow implies --wait")
        var logs = ClientInvocation(verb: .logs, arguments: ["abc"])
        logs.follow = true
        logs.server = "http://127.0.0.1:7878"
        XCTAssertEqual(try parse(["logs", "-f", "abc", "--server", "http://127.0.0.1:7878"]).get(), .client(logs))
        XCTAssertEqual(try parse(["run", "demo", "--", "--not-an-option"]).get(), .client(ClientInvocation(verb: .run, arguments: ["demo", "--not-an-option"])))
        XCTAssertEqual(try parse(["ls", "--help"]).get(), .clientHelp(.ls))
        XCTAssertEqual(try parse(["help", "teardown"]).get(), .clientHelp(.teardown))
        XCTAssertTrue(CommandLineParser.usage.contains("teardown"))
    }

    func testClientUsageErrors() {
        for line in [["run"], ["run", "demo"], ["run", "demo", ""], ["ls", "extra"], ["logs"], ["stop", "a", "b"], ["open", "--wait", "a"],
                     ["run", "demo", "t", "--attempts", "0"], ["run", "demo", "t", "--attempts", "9"], ["run", "demo", "t", "--attempts"], ["ls", "--json=yes"], ["teardown", "--json", "a"]] {
            guard case .failure(let error) = parse(line) else { return XCTFail("\(line) parsed") }
            XCTAssertEqual(error.client, ClientVerb(rawValue: line[0]), "\(line)")
            XCTAssertTrue(error.usage.hasPrefix("usage: burrow \(line[0])"), error.usage)
        }
    }

    func testServerSentEventsAcrossPiecesAndLineEnds() throws {
        var parser = ServerSentEventParser(limit: 1024)
        let wire = Array("id: 1\r\nevent: log\r\ndata: {\"a\":1}\r\n\r\n: keep-alive\n\nid: 2\nevent: agent\ndata: one\ndata:two\n\nevent: x\n\n".utf8)
        var events: [ServerSentEvent] = []
        for byte in wire { events += try parser.feed([byte]) }  // every split point, CR LF split included
        XCTAssertEqual(events, [ServerSentEvent(id: "1", event: "log", data: #"{"a":1}"#), ServerSentEvent(id: "2", event: "agent", data: "one\ntwo")])
        XCTAssertThrowsError(try parser.feed(Array(repeating: UInt8(ascii: "a"), count: 2000)), "a line without end is bounded")
        var whole = ServerSentEventParser(limit: 1024)
        XCTAssertEqual(try whole.feed(wire), events)
    }

    func testTerminalTextShowsControlsAsSymbols() {
        XCTAssertEqual(TerminalText.safe("a\u{1B}[2Jb\r\u{07}\u{9B}\u{202E}"), "a␛[2Jb␍␇\u{FFFD}\u{FFFD}")
        XCTAssertEqual(TerminalText.safe("line\n\tnext", keepLines: true), "line\n\tnext")
        XCTAssertEqual(TerminalText.safe("line\nnext"), "line␊next")
        XCTAssertEqual(TerminalText.oneLine("first\nsecond", width: 3), "fi…")
    }

    func testHistoryLinesAndServerAddresses() throws {
        let line = EventFollower.parseLine(Array(#"{"seq":12,"kind":"log","data":{"stream":"stdout","text":"\",\"data\":"}}"#.utf8)[...])
        XCTAssertEqual(line?.sequence, 12)
        XCTAssertEqual(line?.kind, "log")
        XCTAssertEqual(line?.data, #"{"stream":"stdout","text":"\",\"data\":"}"#)
        XCTAssertEqual(try ServerTarget.parseServer("http://127.0.0.1:7878/"), .ipv4("127.0.0.1", port: 7878))
        XCTAssertThrowsError(try ServerTarget.parseServer("https://127.0.0.1:7878"))
        XCTAssertEqual(BurrowAPIClient.pathSegment("ab/../x?y"), "ab%2F%2E%2E%2Fx%3Fy")
        var config = Config()
        config.listen = "127.0.0.1:0"
        XCTAssertThrowsError(try ServerTarget.listenAddress(config)) { XCTAssertTrue("\($0)".contains("--server")) }
    }
}
