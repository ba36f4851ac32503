@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

final class ConfigTests: XCTestCase {
    func parse(_ json: String) throws -> Config { try ConfigLoader.parse(Array(json.utf8), file: "test.json") }

    func testDefaultsNeedNoFile() throws {
        let config = try parse("{}")
        XCTAssertEqual(config.listen, "127.0.0.1:7878")
        XCTAssertEqual(config.stateDir, "~/.local/state/burrow")
        XCTAssertTrue(config.resolvedStateDir.hasSuffix("/.local/state/burrow"))
        XCTAssertFalse(config.resolvedStateDir.hasPrefix("~"))
    }

    func testErrorsNameTheFieldAndWhy() {
        func message(_ json: String) -> String {
            do { _ = try parse(json); return "" } catch { return "\(error)" }
        }
        XCTAssertTrue(message(#"{"listen": 7878}"#).contains("field 'listen': expected a string"), message(#"{"listen": 7878}"#))
        XCTAssertTrue(message(#"{"listen": "nonsense"}"#).contains("field 'listen'"))
        XCTAssertTrue(message(#"{"lisen": "127.0.0.1:1"}"#).contains("field 'lisen': unknown field"))
        XCTAssertTrue(message(#"{"listen": "0.0.0.0:7878"}"#).contains("allowRemote"))
        XCTAssertTrue(message(#"{"listen": "#).contains("test.json"))
        XCTAssertNoThrow(try parse(#"{"listen": "0.0.0.0:7878", "allowRemote": true}"#))
    }

    func testExampleFileIsValidAndDocumentsEveryField() throws {
        let path = #filePath.components(separatedBy: "/Tests/")[0] + "/burrow.example.json"
        let bytes = try FileSystem.readFile(path)
        XCTAssertNoThrow(try ConfigLoader.parse(bytes, file: path))
        let text = String(decoding: bytes, as: UTF8.self)
        for key in Config.Key.allCases { XCTAssertTrue(text.contains("\"\(key.rawValue)\""), "example lacks \(key.rawValue)") }
    }

    func testNetworkModeAllowlistAndSecretsInEnv() throws {
        XCTAssertEqual(try parse("{}").network.mode, .allowlist, "the allowlist is the default")
        XCTAssertEqual(try parse(#"{"network": "none"}"#).network.mode, .none, "a bare mode still reads")
        let custom = try parse(#"{"network": {"mode": "allowlist", "allow": ["example.com", "*.corp.test:8443"], "resolve": {"mirror.test": "10.0.0.5"}}}"#)
        XCTAssertEqual(custom.network.allow, ["example.com", "*.corp.test:8443"])
        XCTAssertThrowsError(try parse(#"{"network": {"allow": ["exa mple.com"]}}"#)) { XCTAssertTrue("\($0)".contains("network.allow")) }
        XCTAssertThrowsError(try parse(#"{"network": {"resolve": {"a.test": "not-an-ip"}}}"#)) { XCTAssertTrue("\($0)".contains("network.resolve")) }
        XCTAssertThrowsError(try parse(#"{"network": {"mode": "allowlist", "typo": 1}}"#)) { XCTAssertTrue("\($0)".contains("typo")) }
        XCTAssertThrowsError(try parse(#"{"env": {"ANTHROPIC_API_KEY": "sk-ant-real"}}"#)) { XCTAssertTrue("\($0)".contains("credentials.anthropic")) }
        XCTAssertThrowsError(try parse(#"{"credentials": {"anthropic": {"env": "A", "file": "/b"}}}"#))
    }

    func testEgressPolicyMatchesHostsSuffixesAndPorts() {
        let policy = EgressPolicy(allow: ["example.com", "*.pkg.test", "special.test:8443"])
        XCTAssertNil(policy.refusal(host: "example.com", port: 443))
        XCTAssertNil(policy.refusal(host: "EXAMPLE.com", port: 80))
        XCTAssertNotNil(policy.refusal(host: "sub.example.com", port: 443), "an exact entry is not a suffix")
        XCTAssertNil(policy.refusal(host: "a.b.pkg.test", port: 443))
        XCTAssertNotNil(policy.refusal(host: "pkg.test", port: 443), "*.x matches subdomains only")
        XCTAssertNotNil(policy.refusal(host: "evilpkg.test", port: 443))
        XCTAssertTrue(policy.refusal(host: "example.com", port: 22)?.contains("port 22") ?? false)
        XCTAssertNil(policy.refusal(host: "special.test", port: 8443))
        XCTAssertNotNil(policy.refusal(host: "special.test", port: 443), "a listed port replaces 80/443")
        XCTAssertNotNil(policy.refusal(host: "93.184.216.34", port: 443), "addresses are never on the list")
        XCTAssertNotNil(policy.refusal(host: "[::1]", port: 443))
    }
}
