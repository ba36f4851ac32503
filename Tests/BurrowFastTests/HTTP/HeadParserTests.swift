@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

final class HeadParserTests: XCTestCase {
    let request = Array("GET /api/x?a=1&b=two%20words HTTP/1.1\r\nHost: h\r\nX-Repeat: 1\r\nX-Repeat: 2\r\n\r\nBODY".utf8)

    func testParsesRequestAndKeepsRepeatedHeaders() throws {
        guard case .complete(let head, let length) = HeadParser.parse(request) else { return XCTFail("not complete") }
        XCTAssertEqual(head.method, .get)
        XCTAssertEqual(head.target, "/api/x?a=1&b=two%20words")
        XCTAssertEqual(head.headers.values("x-repeat"), ["1", "2"])
        XCTAssertEqual(Array(request[length...]), Array("BODY".utf8))
        let parsed = HTTPRequest(method: head.method, target: head.target, headers: head.headers)
        XCTAssertEqual(parsed.path, "/api/x")
        XCTAssertEqual(parsed.queryValue("b"), "two words")
    }

    func testEveryCutIsIncompleteUntilTheBlankLine() {
        let headLength = request.count - 4
        for cut in 0..<headLength {
            XCTAssertEqual(HeadParser.parse(Array(request[0..<cut])), .incomplete, "cut at \(cut)")
        }
        if case .complete = HeadParser.parse(Array(request[0..<headLength])) {} else { XCTFail("complete head not parsed") }
    }

    func testLimitsAndMalformedInput() {
        func status(_ text: String, limits: HTTPLimits = HTTPLimits()) -> Int? {
            if case .failure(let error) = HeadParser.parse(Array(text.utf8), limits: limits) { return error.status.code }
            return nil
        }
        let huge = "GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 17_000) + "\r\n\r\n"
        XCTAssertEqual(status(huge), 431)
        XCTAssertEqual(status(String(huge.prefix(16_500))), 431, "an unterminated head over the limit is refused early")
        XCTAssertEqual(status("GET /\r\n\r\n"), 400)
        XCTAssertEqual(status("GET / HTTP/1.1\r\nBad Header: x\r\n\r\n"), 400)
        XCTAssertEqual(status("GET / HTTP/1.1\r\nX: a\r\n folded\r\n\r\n"), 400)
        XCTAssertEqual(status("GET / HTTP/1.1\r\nX: a\u{01}b\r\n\r\n"), 400)
        XCTAssertEqual(status("BREW / HTTP/1.1\r\nHost: h\r\n\r\n"), 501)
        XCTAssertEqual(status("GET / HTTP/2.0\r\nHost: h\r\n\r\n"), 505)
        XCTAssertEqual(status("GET relative HTTP/1.1\r\nHost: h\r\n\r\n"), 400)
        XCTAssertEqual(status("GET / HTTP/1.1\nHost: h\r\n\r\n"), 400)
        var few = HTTPLimits()
        few.maxHeaderCount = 2
        XCTAssertEqual(status("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits: few), 431)
    }

    func testRequestFramingRefusesAmbiguity() {
        XCTAssertEqual(try HeadParser.requestFraming(["Content-Length": "12"]).get(), .length(12))
        XCTAssertEqual(try HeadParser.requestFraming(["Transfer-Encoding": "chunked"]).get(), .chunked)
        XCTAssertEqual(try HeadParser.requestFraming([:]).get(), BodyFraming.none)
        let both: HTTPHeaders = ["Content-Length": "3", "Transfer-Encoding": "chunked"]
        XCTAssertThrowsError(try HeadParser.requestFraming(both).get())
        var twice = HTTPHeaders()
        twice.add("Content-Length", "3")
        twice.add("Content-Length", "4")
        XCTAssertThrowsError(try HeadParser.requestFraming(twice).get())
        XCTAssertThrowsError(try HeadParser.requestFraming(["Content-Length": "-1"]).get())
        XCTAssertThrowsError(try HeadParser.requestFraming(["Content-Length": "+5"]).get())
        XCTAssertThrowsError(try HeadParser.requestFraming(["Transfer-Encoding": "gzip, chunked"]).get())
    }

    func testPercentDecodingRejectsBrokenEscapes() {
        XCTAssertEqual(RequestTarget.percentDecode(Array("%2e%2E/a%20b".utf8)[...], plusIsSpace: false), "../a b")
        XCTAssertNil(RequestTarget.percentDecode(Array("%2".utf8)[...], plusIsSpace: false))
        XCTAssertNil(RequestTarget.percentDecode(Array("%zz".utf8)[...], plusIsSpace: false))
        XCTAssertNil(RequestTarget.percentDecode(Array("%ff".utf8)[...], plusIsSpace: false), "not UTF-8")
    }
}
