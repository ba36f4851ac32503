@testable import BurrowSystem
@testable import BurrowKit
import XCTest
import Foundation

/// The agent's stdout lines are hostile: one kept verbatim as an event must be JSON the browser
/// parses. `JSONDecoder` accepted `{"type":"a",}`; the strict reader must not, and must agree with a
/// strict reference (Python's `json`, on bytes decoded as strict UTF-8) on every line.
final class StrictJSONTests: XCTestCase {
    let keys = StrictJSON.Keys(["type", "session_id", "n", "flag"])

    func members(_ line: String) -> [String: String]? {
        guard let found = StrictJSON.members(of: Array(line.utf8), keys: keys) else { return nil }
        var result: [String: String] = [:]
        for (name, raw) in zip(keys.names, found) { if let raw { result[name] = String(decoding: raw, as: UTF8.self) } }
        return result
    }

    func testTheTopLevelMembersAskedForAreFoundRawAndTheFirstOfARepeatedKeyWins() throws {
        XCTAssertEqual(members(#" {"type" : "assistant", "message":{"type":"inner","n":[1,{"flag":true}]}, "n":-0.5e+3,"flag":false,"type":"second"} "#),
                       ["type": #""assistant""#, "n": "-0.5e+3", "flag": "false"])
        XCTAssertEqual(members(#"{"typ\u0065":"escaped key","session_id":"s\"1"}"#), ["type": #""escaped key""#, "session_id": #""s\"1""#])
        XCTAssertEqual(members("{}"), [:])
        XCTAssertEqual(StrictJSON.string(Array(#""a\"b\\c\/d\n\u00e9\ud83d\ude00""#.utf8)[...]), "a\"b\\c/d\né😀")
        XCTAssertNil(StrictJSON.string(Array(#""\ud800""#.utf8)[...]), "a lone surrogate decodes to nothing")
        XCTAssertNil(StrictJSON.string(Array(#""\"#.utf8)[...]), "never reads past its bytes")
        XCTAssertEqual(StrictJSON.number(Array("-12.5e1".utf8)[...]), -125)
        XCTAssertNil(StrictJSON.number(Array(#""1""#.utf8)[...]))
    }

    func testWhatIsNotExactlyOneJSONObjectIsRefused() {
        let refused = [#"{"type":"a",}"#, #"{"type":"a","x":01}"#, #"{"type":"a","x":1.}"#, #"{"type":"a","x":[1,]}"#,
                       #"{"type":"a","x":"\x"}"#, #"{"type":"a","x":NaN}"#, #"{"type":"a","x":"\u12"}"#, "{\"type\":\"a\",\"x\":\"\t\"}",
                       #"{"type":"a"} x"#, #"{"type":"a"}{}"#, #"{"type":"a""#, #"{'type':"a"}"#, #"{"type"}"#, #"["type"]"#, "",
                       #"{"type":"a","x":.5}"#, #"{"type":"a","x":+1}"#, #"{"type":"a","x":1e}"#, #"{"type":tru}"#, #"{,"type":"a"}"#]
        for line in refused { XCTAssertNil(members(line), line) }
        for bytes: [UInt8] in [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0x80]] {
            let line = Array(#"{"type":"a","x":""#.utf8) + bytes + Array(#""}"#.utf8)
            XCTAssertNil(StrictJSON.members(of: line, keys: keys), "\(bytes)")
        }
        let deep = "{\"a\":" + String(repeating: "[", count: 600) + String(repeating: "]", count: 600) + "}"
        XCTAssertNil(members(deep), "deeper than 512 levels")
        let flood = "{\"a\":" + String(repeating: "[", count: 1 << 20)
        XCTAssertNil(members(flood), "a megabyte of brackets ends at the depth cap, not on the stack")
        let fine = "{\"a\":" + String(repeating: "[", count: 500) + String(repeating: "]", count: 500) + "}"
        XCTAssertEqual(members(fine), [:])
    }

    func testAnAgentLineThatJSONDecoderTookButTheBrowserCannotParseIsPlainOutput() {
        XCTAssertNil(AgentOutput.parse(Array(#"{"type":"assistant","message":{"content":[1,]}}"#.utf8)))
        XCTAssertEqual(AgentOutput.parse(Array(#"{"type":"assistant","message":{"content":[1]}}"#.utf8))?.type, "assistant")
    }

    /// Mutations of real-looking lines (a byte changed, dropped, doubled; a fragment spliced in),
    /// each judged by the strict reader and by Python's `json` (strict UTF-8, no NaN): the same verdict
    /// and, where accepted, the same `type` member.
    func testEveryMutatedLineGetsTheVerdictOfAStrictReference() throws {
        let seeds = [#"{"type":"assistant","message":{"content":[{"type":"text","text":"h\u00e9llo \"x\""}]},"session_id":"abc","n":12.5e-1,"flag":true}"#,
                     #"{"type":"result","subtype":"success","is_error":false,"total_cost_usd":0.0123,"num_turns":3,"result":"ok\n","x":[null,-0,1E5,{}]}"#,
                     "{\"type\":\"system\",\"text\":\"caf\u{e9} \u{1F600}\",\"deep\":[[[{\"a\":[]}]]]}"]
        let fragments = [",", "}", "]", "{", "[", "\"", "\\", "\\u00", "0", "01", "-", ".", "e", "tru", "null", " ", "\t", "\u{1}", ":"].map { Array($0.utf8) }
            + [[0xff], [0xc3], [0xe2, 0x82, 0xac], [0xed, 0xb0, 0x80], [0xc0, 0xaf]]
        var random = SplitMix(seed: 26)
        var lines: [[UInt8]] = []
        for _ in 0..<3000 {
            var line = Array(seeds[Int(random.next() % UInt64(seeds.count))].utf8)
            for _ in 0...(random.next() % 3) {
                let at = Int(random.next() % UInt64(line.count))
                switch random.next() % 4 {
                case 0: line.remove(at: at)
                case 1: line.insert(line[at], at: at)
                case 2: line.insert(contentsOf: fragments[Int(random.next() % UInt64(fragments.count))], at: at)
                default: line[at] = fragments[Int(random.next() % UInt64(fragments.count))][0]
                }
            }
            lines.append(line)
        }
        let verdicts = try pythonVerdicts(lines)
        XCTAssertEqual(verdicts.count, lines.count, "the reference judged every line")
        var accepted = 0
        for (line, verdict) in zip(lines, verdicts) {
            let found = StrictJSON.members(of: line, keys: keys)
            let mine = found.map { members in
                members[0].flatMap(StrictJSON.string).map { "T" + $0.unicodeScalars.map { String($0.value, radix: 16) }.joined(separator: ",") } ?? "T-"
            }
            XCTAssertEqual(mine ?? "no", verdict, "\(String(decoding: line, as: UTF8.self)) \(line)")
            if found != nil { accepted += 1 }
        }
        XCTAssertGreaterThan(accepted, 100, "some mutated lines are still JSON")
        XCTAssertLessThan(accepted, lines.count - 100, "most mutations break the line")
    }

    /// Python's verdict per line: "no", "T-" (an object without a string `type`), or "T" + the type's
    /// code points in hex.
    func pythonVerdicts(_ lines: [[UInt8]]) throws -> [String] {
        let script = """
        import json, sys
        def bad(_): raise ValueError("constant")
        out = []
        for line in sys.stdin.buffer.read().split(b"\\n")[:-1]:
            raw = bytes.fromhex(line.decode())
            try:
                value = json.loads(raw.decode("utf-8"), parse_constant=bad)
                if not isinstance(value, dict): raise ValueError("not an object")
                pairs = json.loads(raw.decode("utf-8"), object_pairs_hook=lambda p: p)
                first = next((v for k, v in pairs if k == "type"), None)
                out.append("T" + ",".join("%x" % ord(c) for c in first) if isinstance(first, str) and all(not 0xd800 <= ord(c) <= 0xdfff for c in first) else "T-")
            except (ValueError, RecursionError):
                out.append("no")
        print("\\n".join(out))
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        let hex = lines.map { $0.map { String(format: "%02x", $0) }.joined() + "\n" }.joined()
        DispatchQueue.global().async { input.fileHandleForWriting.write(Data(hex.utf8)); try? input.fileHandleForWriting.close() }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty }
    }
}

/// A small seeded generator: the same mutations every run.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
}

extension StrictJSONTests {
    /// A hostile line of a million escapes must cost a million steps, not a million squared (the
    /// first version appended to a string per escape: 3 s for 1 MiB). Counted, not timed: the decoded
    /// key is checked, and the work is bounded by a generous wall-clock cap only as a backstop.
    func testEscapesDecodeInLinearTime() {
        let started = ContinuousClock.now
        let key = String(repeating: #"\n"#, count: 500_000)
        XCTAssertEqual(members("{\"\(key)\":1,\"type\":\"t\"}"), ["type": #""t""#])
        XCTAssertEqual(StrictJSON.string(Array("\"\(key)\"".utf8)[...])?.utf8.count, 500_000)
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(2), "quadratic decoding of escapes")
        XCTAssertNil(StrictJSON.number(Array("-nan".utf8)[...]))
        XCTAssertNil(StrictJSON.number(Array("0x1p4".utf8)[...]))
        XCTAssertNil(StrictJSON.number(Array("1 ".utf8)[...]))
        XCTAssertEqual(StrictJSON.number(Array("-0.5E+2".utf8)[...]), -50)
    }
}
