@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import Glibc
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

final class StaticFilesTests: XCTestCase {
    func testServesWithContentTypeAndETag() async throws {
        let server = try TestServer()
        let css = try await server.request("GET", "/style.css", authorised: false)
        XCTAssertEqual(css.status, 200)
        XCTAssertEqual(css.headers["Content-Type"], "text/css; charset=utf-8")
        let etag = try XCTUnwrap(css.headers["ETag"])
        let again = try await server.request("GET", "/style.css", headers: ["If-None-Match": etag], authorised: false)
        XCTAssertEqual(again.status, 304)
        XCTAssertTrue(again.body.isEmpty)
        let index = try await server.request("GET", "/", authorised: false)
        XCTAssertEqual(index.text, "<h1>hello</h1>")
        XCTAssertEqual(index.headers["Content-Type"], "text/html; charset=utf-8")
        await server.stop()
    }

    func testNoPathLeadsOutOfTheFolder() async throws {
        let server = try TestServer()
        let outside = try TemporaryDirectory.make()
        try FileSystem.writeAtomically(Array("SECRET".utf8), to: outside + "/secret.txt")
        symlink(outside + "/secret.txt", server.publicDir + "/link.txt")
        symlink(outside, server.publicDir + "/linkdir")
        let attempts = [
            "/../../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
            "/link.txt", "/linkdir/secret.txt", "/index.html%00.css", "/..%5c..%5cetc/passwd", "/.%2e/etc/passwd",
            "//etc/passwd", "/%2fetc%2fpasswd",
        ]
        for target in attempts {
            let response = try await server.request("GET", target, authorised: false)
            XCTAssertEqual(response.status, 404, target)
            XCTAssertFalse(response.text.contains("SECRET"), target)
            XCTAssertFalse(response.text.contains("root:"), target)
        }
        await server.stop()
    }
}
