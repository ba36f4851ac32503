@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// A misspelt key anywhere in the configuration is refused, naming it: it would otherwise silently
/// leave the default in place (a writable root, no memory limit, the key sent to the default host).
final class ConfigKeysTests: XCTestCase {
    static let repo = #""name": "demo", "path": "/srv/demo""#
    /// Each section with one misspelt key, and the field the error must name.
    static let typos: [(json: String, field: String)] = [
        (#"{"lisen": "127.0.0.1:1"}"#, "lisen"),
        (#"{"sandbox": {"readOnlyRot": true}}"#, "sandbox.readOnlyRot"),
        (#"{"limits": {"memry": "1g"}}"#, "limits.memry"),
        (#"{"credentials": {"upstraem": "https://evil.example"}}"#, "credentials.upstraem"),
        (#"{"credentials": {"anthropic": {"evn": "KEY"}}}"#, "credentials.anthropic.evn"),
        (#"{"network": {"allwo": []}}"#, "network.allwo"),
        (#"{"budget": {"usdd": 1}}"#, "budget.usdd"),
        (#"{"prices": {"m": {"input": 1, "output": 2, "cachRead": 1}}}"#, "prices.m.cachRead"),
        (#"{"caches": [{"name": "npm", "path": "/c", "scop": "global"}]}"#, "caches[0].scop"),
        (#"{"repos": [{\#(repo), "imgae": "x"}]}"#, "repos[0].imgae"),
        (#"{"repos": [{\#(repo), "budget": {"usdd": 1}}]}"#, "repos[0].budget.usdd"),
        (#"{"repos": [{\#(repo), "caches": [{"name": "pip", "path": "/p", "pth": "/q"}]}]}"#, "repos[0].caches[0].pth"),
        (#"{"runners": [{"name": "local", "lables": ["gpu"]}]}"#, "runners[0].lables"),
    ]

    func testEverySectionRefusesAnUnknownKeyNamingIt() {
        for (json, field) in Self.typos {
            do {
                _ = try ConfigLoader.parse(Array(json.utf8), file: "test.json")
                XCTFail("\(json) was accepted")
            } catch {
                XCTAssertEqual(error.field, field, "\(json): \(error)")
                XCTAssertTrue(error.description.contains("field '\(field)': unknown field"), "\(json): \(error)")
            }
        }
    }

    func testACacheScopeIsRepoOrGlobal() throws {
        XCTAssertEqual(try ConfigLoader.parse(Array("{}".utf8)).caches.map(\.resolvedScope), Array(repeating: .repo, count: 6), "repo is the default")
        do {
            _ = try ConfigLoader.parse(Array(#"{"caches": [{"name": "npm", "path": "/c", "scope": "glbal"}]}"#.utf8))
            XCTFail("a misspelt scope was accepted")
        } catch {
            XCTAssertEqual(error.field, "caches[0].scope", "\(error)")
        }
        // Names join into volume names: a repo-scoped cache must not land in another's volume.
        let clash = #"{"caches": [], "repos": [{"name": "b-repo-c", "path": "/a", "caches": [{"name": "a", "path": "/x"}]},"#
            + #" {"name": "c", "path": "/b", "caches": [{"name": "a-repo-b", "path": "/y"}]}]}"#
        XCTAssertThrowsError(try ConfigLoader.parse(Array(clash.utf8))) { error in
            XCTAssertTrue("\(error)".contains("would share one volume"), "\(error)")
        }
    }

    /// The probe: the same sections spelt right parse, with their values; free-form maps stay free.
    func testTheSameSectionsSpeltRightParse() throws {
        let json = #"""
        {"sandbox": {"readOnlyRoot": true}, "limits": {"memory": "1g"}, "credentials": {"upstream": "https://up.example",
         "anthropic": {"env": "KEY"}}, "network": {"allow": []}, "budget": {"usd": 1}, "prices": {"m": {"input": 1, "output": 2, "cacheRead": 1}},
         "caches": [{"name": "npm", "path": "/c", "scope": "global"}], "env": {"ANY_NAME": "x"},
         "mcpServers": {"s": {"command": "x", "anyKey": {"deep": [1, {"free": true}]}}},
         "repos": [{\#(Self.repo), "image": "x", "budget": {"usd": 1}, "caches": [{"name": "pip", "path": "/p"}], "devcontainer": true}],
         "runners": [{"name": "local", "labels": ["gpu"]}]}
        """#
        let config = try ConfigLoader.parse(Array(json.utf8), file: "test.json")
        XCTAssertEqual(config.sandbox.readOnlyRoot, true)
        XCTAssertEqual(config.limits.memoryBytes, 1 << 30)
        XCTAssertEqual(config.credentials.upstream, "https://up.example")
        XCTAssertEqual(config.credentials.anthropic?.env, "KEY")
        XCTAssertEqual(config.caches.first?.scope, .global)
        XCTAssertEqual(config.repos.first?.caches?.first?.path, "/p")
        XCTAssertEqual(config.runners.first?.labels, ["gpu"])
        XCTAssertEqual(config.mcpServers["s"], .object(["command": .string("x"), "anyKey": .object(["deep": .array([.number(1), .object(["free": .bool(true)])])])]))
    }

    /// `burrow doctor` fails on the typo and names the field, instead of "ok config".
    func testDoctorNamesTheMisspeltField() async throws {
        let binary = #filePath.components(separatedBy: "/Tests/")[0] + "/.build/debug/burrow"
        XCTAssertTrue(FileSystem.exists(binary), "build the burrow product first: \(binary)")
        let home = try TemporaryDirectory.make("burrow-typo")
        defer { FileSystem.removeTree(home) }
        let file = home + "/burrow.json"
        try FileSystem.writeAtomically(Array(#"{"stateDir": "\#(home)/state", "sandbox": {"readOnlyRot": true}}"#.utf8), to: file)
        let result = try await Subprocess.run([binary, "doctor", "--config", file], environment: ["HOME": home], timeout: .seconds(30))
        XCTAssertNotEqual(result.status, 0, result.stdout)
        XCTAssertTrue(result.stdout.contains("sandbox.readOnlyRot"), result.stdout)
        XCTAssertFalse(result.stdout.contains("ok config"), result.stdout)
    }
}
