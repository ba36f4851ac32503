@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

final class AccessControlTests: XCTestCase {
    func testTokenIsRequiredForTheAPI() async throws {
        let server = try TestServer()
        let anonymous = try await server.request("GET", "/api/health", authorised: false)
        XCTAssertEqual(anonymous.status, 401)
        XCTAssertTrue(anonymous.text.contains("token"))
        let wrong = try await server.request("GET", "/api/health", headers: ["Authorization": "Bearer nope"], authorised: false)
        XCTAssertEqual(wrong.status, 401)
        let bearer = try await server.request("GET", "/api/health")
        XCTAssertEqual(bearer.status, 200)
        let cookie = try await server.request("GET", "/api/health", headers: ["Cookie": "a=b; burrow_token=\(server.token)"], authorised: false)
        XCTAssertEqual(cookie.status, 200)
        let page = try await server.request("GET", "/", authorised: false)
        XCTAssertEqual(page.status, 200, "the UI's static files are public")
        await server.stop()
    }

    func testStartupURLSetsCookieAndRedirects() async throws {
        let server = try TestServer()
        let login = try await server.request("GET", "/?token=\(server.token)", authorised: false)
        XCTAssertEqual(login.status, 302)
        XCTAssertEqual(login.headers["Location"], "/")
        let cookie = try XCTUnwrap(login.headers["Set-Cookie"])
        XCTAssertTrue(cookie.contains("burrow_token=\(server.token)"))
        XCTAssertTrue(cookie.contains("HttpOnly"))
        XCTAssertTrue(cookie.contains("SameSite=Strict"))
        let wrong = try await server.request("GET", "/?token=bad", authorised: false)
        XCTAssertEqual(wrong.status, 401)
        XCTAssertNil(wrong.headers["Set-Cookie"])
        await server.stop()
    }

    func testForeignHostAndOriginAreRefused() async throws {
        let server = try TestServer()
        let client = try await server.client()
        try await client.send("GET /api/health HTTP/1.1\r\nHost: attacker.example:\(server.port)\r\nAuthorization: Bearer \(server.token)\r\n\r\n")
        let rebinding = try await client.response()
        XCTAssertEqual(rebinding.status, 403, "DNS rebinding: a foreign Host is refused")
        client.close()
        let localhost = try await server.request("GET", "/api/health", headers: ["Host": "localhost:\(server.port)"])
        XCTAssertEqual(localhost.status, 400, "RFC 9112 §3.2: a second Host header is a bad request")
        let crossSite = try await server.request("POST", "/api/echo", headers: ["Origin": "http://evil.example"], body: "x")
        XCTAssertEqual(crossSite.status, 403)
        let sameOrigin = try await server.request("POST", "/api/echo", headers: ["Origin": "http://\(server.host)"], body: "x")
        XCTAssertEqual(sameOrigin.status, 200)
        let readWithForeignOrigin = try await server.request("GET", "/api/health", headers: ["Origin": "http://evil.example"])
        XCTAssertEqual(readWithForeignOrigin.status, 200, "only state-changing requests are checked for Origin")
        await server.stop()
    }

    func testLocalhostHostIsAccepted() async throws {
        let server = try TestServer()
        let client = try await server.client()
        try await client.send("GET /api/health HTTP/1.1\r\nHost: localhost:\(server.port)\r\nAuthorization: Bearer \(server.token)\r\n\r\n")
        let status = try await client.response().status
        XCTAssertEqual(status, 200)
        client.close()
        await server.stop()
    }

    func testTokenFileIsCreatedPrivateAndReused() throws {
        let directory = try TemporaryDirectory.make()
        let first = try AccessToken.loadOrCreate(stateDir: directory + "/state", environment: nil)
        XCTAssertEqual(first.count, 64)
        XCTAssertEqual(FileSystem.status(directory + "/state/token")?.mode, 0o600)
        XCTAssertEqual(try AccessToken.loadOrCreate(stateDir: directory + "/state", environment: nil), first)
        XCTAssertEqual(try AccessToken.loadOrCreate(stateDir: directory + "/state", environment: "from-env"), "from-env")
    }
}
