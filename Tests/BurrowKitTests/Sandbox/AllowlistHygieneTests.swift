@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import Foundation
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// Allowlist entries are host names or nothing; plain HTTP goes to the host that was checked; names
/// resolving into the host's own networks are refused unless `network.resolve` points them there.
final class AllowlistHygieneTests: XCTestCase {
    func parse(_ json: String) throws -> Config { try ConfigLoader.parse(Array(json.utf8), file: "test.json") }

    func testConfigRefusesEntriesThatAreNotHostNamesNamingTheEntry() throws {
        let bad = [#"evil.com\\.github.com"#, ".github.com", "*.*.github.com", "git*hub.com", "*github.com", "a..b.com", "-a.com", "a-.com",
                   "github.com:0", "github.com:+80", "github.com:65536", "1.2.3.4", "*.", "", "exa_mple.com", "github.com.", String(repeating: "a", count: 64) + ".com"]
        for entry in bad {
            XCTAssertThrowsError(try parse(#"{"network": {"allow": ["\#(entry)"]}}"#), entry) { error in
                XCTAssertTrue("\(error)".contains("network.allow"), "\(error)")
                XCTAssertTrue("\(error)".contains("'\(entry.replacingOccurrences(of: #"\\"#, with: #"\"#))'"), "names the entry: \(error)")
            }
        }
        XCTAssertThrowsError(try parse(#"{"repos": [{"name": "r", "path": "/x", "allow": ["evil.com/x"]}]}"#))
        let good = try parse(#"{"network": {"allow": ["github.com", "*.github.com", "mirror-1.corp.test:8443", "xn--bcher-kva.example", "a.b.c.d.e"]}}"#)
        XCTAssertEqual(good.network.allow.count, 5)
    }

    func testRequestedNamesMustBeHostNamesToo() {
        let policy = EgressPolicy(allow: ["*.github.com"])
        XCTAssertNil(policy.refusal(host: "api.github.com", port: 443), "probe: a real subdomain passes")
        for host in [#"evil.com\.github.com"#, "evil.com/.github.com", "a..github.com", "evil com.github.com", "*.github.com", ".github.com", "evil.com%00.github.com"] {
            XCTAssertNotNil(policy.refusal(host: host, port: 443), host)
        }
        XCTAssertNotNil(policy.refusal(host: "0x7f.0.0.1.github.com".replacingOccurrences(of: ".github.com", with: ""), port: 443))
    }

    func testAddressClasses() {
        let cases: [(String, AddressClass)] = [
            ("127.0.0.1", .loopback), ("127.1.2.3", .loopback), ("10.1.2.3", .privateNetwork), ("172.16.0.1", .privateNetwork),
            ("172.32.0.1", .publicAddress), ("192.168.1.1", .privateNetwork), ("169.254.169.254", .linkLocal), ("0.0.0.0", .unspecified),
            ("224.0.0.1", .multicast), ("100.64.0.1", .sharedNetwork), ("8.8.8.8", .publicAddress), ("255.255.255.255", .reserved),
            ("::1", .loopback), ("::", .unspecified), ("fe80::1", .linkLocal), ("fd00::5", .privateNetwork), ("ff02::1", .multicast),
            ("::ffff:127.0.0.1", .loopback), ("::ffff:7f00:1", .loopback), ("64:ff9b::10.0.0.1", .privateNetwork),
            ("2606:4700::1111", .publicAddress), ("fe80::1%eth0", .linkLocal),
        ]
        for (text, expected) in cases { XCTAssertEqual(AddressClass(address: text), expected, text) }
        for text in ["1.2.3", "1.2.3.4.5", "256.1.1.1", "1::2::3", "12345::", "example.com"] { XCTAssertNil(AddressClass(address: text), text) }
    }

    func testANameResolvingToLoopbackIsRefusedUnlessResolveNamesIt() async throws {
        let site = try ModelStandIn { _ in .text("inside the host") }
        defer { Task { await site.stop() } }
        let log = NetLog()
        // `localhost` resolves to 127.0.0.1 (and ::1) through the system resolver, like a hostile DNS answer would.
        let open = EgressPolicy(allow: ["localhost:\(site.port)"])
        do {
            _ = try await open.addresses(host: "localhost", port: site.port)
            XCTFail("localhost resolved to a usable address")
        } catch {
            XCTAssertTrue("\(error)".contains("loopback"), "\(error)")
        }
        let directory = try TemporaryDirectory.make("hygiene")
        let refusing = try EgressProxy(socketPath: directory + "/a.sock", policy: open, model: nil, allowPeer: { _ in true }, report: log.report)
        Task { await refusing.run() }
        let refused = try await withTimeout(20) {
            try await ProxyClient.exchange(directory + "/a.sock", "GET http://localhost:\(site.port)/x HTTP/1.1\r\nHost: localhost\r\n\r\n")
        }
        XCTAssertEqual(refused.status, 502, refused.text)
        XCTAssertTrue(refused.text.contains("loopback"), refused.text)
        XCTAssertEqual(site.requests.count, 0, "the host's loopback service was never reached")
        refusing.shutdown()
        // Named in network.resolve: on purpose, allowed. The Host the site sees is the checked one.
        let explicit = EgressPolicy(allow: ["localhost:\(site.port)"], resolve: ["localhost": "127.0.0.1"])
        let allowing = try EgressProxy(socketPath: directory + "/b.sock", policy: explicit, model: nil, allowPeer: { _ in true }, report: log.report)
        Task { await allowing.run() }
        let answer = try await withTimeout(20) {
            try await ProxyClient.exchange(directory + "/b.sock", "GET http://localhost:\(site.port)/x HTTP/1.1\r\nHost: evil.example\r\nX-Probe: 1\r\n\r\n")
        }
        XCTAssertEqual(answer.status, 200, answer.text)
        XCTAssertEqual(answer.text, "inside the host")
        XCTAssertEqual(site.requests.map { $0.headers.values("host") }, [["localhost:\(site.port)"]], "one Host, the checked one")
        XCTAssertEqual(site.requests.first?.headers["x-probe"], "1")
        allowing.shutdown()
    }
}
