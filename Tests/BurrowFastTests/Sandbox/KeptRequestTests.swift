@testable import BurrowSystem
@testable import BurrowKit
import FoundationEssentials
import XCTest

/// "Always for this repo" on a request ask: what `RepoAllowances` keeps, and how the rules use it.
final class KeptRequestTests: XCTestCase {
    let host = "api.example.com"

    func decide(_ rules: NetworkRules, _ method: String, _ target: String, port: UInt16 = 443) -> NetworkRules.Decision {
        rules.decide(host: "API.example.com", port: port, method: method, target: RequestRule.normalized(target)!)
    }

    func testAKeptRequestAllowsThatMethodAndExactPathWithAnyQueryOnly() throws {
        let rules = try NetworkRules([[host: ["GET /**", "deny POST /locked/**"]]])
            .keeping(["POST api.example.com:443 /repos/a/issues", "POST api.example.com:443 /a*", "POST api.example.com:443 /locked/x"])
        guard case .allowed(let rule) = decide(rules, "POST", "/repos/a/issues?page=2") else { return XCTFail("the kept request passes") }
        XCTAssertEqual(rule, "kept for the repo (\"Always for this repo\"): POST api.example.com:443 /repos/a/issues")
        XCTAssertEqual(decide(rules, "GET", "/x"), .allowed(rule: "network.rules[\"\(host)\"]: GET /**"), "the configured rules still name themselves")
        for (method, target) in [("PUT", "/repos/a/issues"), ("POST", "/repos/a/issues/1"), ("POST", "/repos/a"), ("POST", "/abc"),
                                 ("POST", "/REPOS/a/issues")] {
            guard case .refused = decide(rules, method, target) else { return XCTFail("\(method) \(target) is not the kept request") }
        }
        XCTAssertEqual(decide(rules, "POST", "/a*"), .allowed(rule: "kept for the repo (\"Always for this repo\"): POST api.example.com:443 /a*"),
                       "a kept path is matched whole, never as a glob")
        XCTAssertEqual(decide(rules, "POST", "/locked/x"), .refused(rule: "network.rules[\"\(host)\"]: deny POST /locked/**"), "a deny entry wins")
        guard case .refused = decide(rules, "POST", "/repos/a/issues", port: 80) else { return XCTFail("another port is another host") }
    }

    func testOnlyWellFormedEntriesAreKeptOrLoaded() throws {
        XCTAssertEqual(RepoAllowances.request(method: "POST", host: "API.Example.com", port: 443, path: "/a"), "POST api.example.com:443 /a")
        for (method, host, path) in [("post", "a.test", "/a"), ("POST", "*.a.test", "/a"), ("POST", "10.0.0.1", "/a"), ("POST", "a.test", "/a?q"),
                                     ("POST", "a.test", "/a b"), ("POST", "a.test", "a"), ("POST", "a.test", "/" + String(repeating: "x", count: 2047))] {
            XCTAssertNil(RepoAllowances.request(method: method, host: host, port: 443, path: path), "\(method) \(host) \(path)")
        }
        let folder = try FileSystem.makeTemporaryDirectory("burrow-kept")
        defer { FileSystem.removeTree(folder) }
        let stored = ["demo": ["a.test:443", "GET a.test:443 /ok", "GET a.test /no-port", "GET *.a.test:443 /wild", "get a.test:443 /lower",
                               "GET a.test:443 /q?x", "a.test", "GET  a.test:443 /two-spaces"]]
        try FileSystem.writeAtomically(Array(try JSONEncoder().encode(stored)), to: folder + "/" + RepoAllowances.fileName)
        let kept = RepoAllowances(stateDir: folder)
        XCTAssertEqual(kept.all, ["demo": ["a.test:443", "GET a.test:443 /ok"]], "a hand-edited entry that is neither is ignored")
        XCTAssertEqual(kept.targets(repo: "demo"), ["a.test:443"], "only hosts join the allowlist")
        XCTAssertEqual(kept.requests(repo: "demo"), ["GET a.test:443 /ok"])
        XCTAssertTrue(try kept.add(repo: "demo", target: "POST a.test:443 /new"))
        XCTAssertTrue(try kept.remove(repo: "demo", target: "GET a.test:443 /ok"))
        XCTAssertEqual(RepoAllowances(stateDir: folder).requests(repo: "demo"), ["POST a.test:443 /new"], "kept across a restart")
    }
}
