@testable import BurrowKit
@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowTLS
import XCTest

/// The egress proxy looking inside TLS for hosts with `network.rules`, the box played by a client in
/// this process (the real agent image's tools: BoxTrustTests).
final class InterceptionTests: XCTestCase {
    struct Setup {
        let proxy: EgressProxy
        let service: HTTPSStandIn
        let events: Locked<[NetEvent]>
        let boxTrust: TLSClientContext
        let folder: String
        var path: String { proxy.socketPath }
    }

    func start(rules: [String] = ["GET /**", "deny GET /secret/**"], trustService: Bool = true) async throws -> Setup {
        let folder = try TemporaryDirectory.make("tls")
        let service = try HTTPSStandIn(folder: folder)
        let interception = try Interception(burrow: "test", extraCAs: trustService ? [service.caFile] : [])
        try FileSystem.writeAtomically(interception.trustBundle(), to: folder + "/bundle.pem")
        let host = "service.test:\(service.port)"
        let policy = EgressPolicy(allow: [host], resolve: ["service.test": "127.0.0.1"], rules: try NetworkRules([[host: rules]]))
        let events = Locked<[NetEvent]>([])
        let proxy = try EgressProxy(socketPath: folder + "/proxy.sock", policy: policy, model: nil, interception: interception,
                                    allowPeer: { _ in true }) { event in events.withLock { $0.append(event) } }
        Task { await proxy.run() }
        return Setup(proxy: proxy, service: service, events: events, boxTrust: try TLSClientContext(extraCAs: [folder + "/bundle.pem"]), folder: folder)
    }

    func finish(_ setup: Setup) {
        setup.proxy.shutdown()
        setup.service.stop()
        FileSystem.removeTree(setup.folder)
    }

    func testARuleAllowsGetAndRefusesPostAndTheDenyEntryWinsOnOneKeptAliveConnection() async throws {
        let setup = try await start()
        defer { finish(setup) }
        let host = "service.test:\(setup.service.port)"
        try await withTimeout(20) {
            let box = try await BoxClient.open(setup.path, host: "service.test", port: setup.service.port, trust: setup.boxTrust)
            XCTAssertEqual(box.stream.negotiatedProtocol, "http/1.1")
            let first = try await BoxClient.ask(box, "GET /repos/a?x=1 HTTP/1.1\r\nHost: \(host)\r\n\r\n")
            XCTAssertEqual(first.status, 200, first.body)
            XCTAssertEqual(first.body, "GET /repos/a?x=1", "the service answered through the proxy")
            let second = try await BoxClient.ask(box, "GET /again HTTP/1.1\r\nHost: \(host)\r\n\r\n")
            XCTAssertEqual(second.body, "GET /again", "the same connection is kept alive")
            let refused = try await BoxClient.ask(box, "POST /repos/a HTTP/1.1\r\nHost: \(host)\r\nContent-Length: 5\r\n\r\nhello")
            XCTAssertEqual(refused.status, 403)
            XCTAssertTrue(refused.body.contains("network.rules[\"\(host)\"] allows GET /**"), refused.body)
            XCTAssertTrue(refused.body.contains("To allow it, add"), refused.body)
            let other = try await BoxClient.open(setup.path, host: "service.test", port: setup.service.port, trust: setup.boxTrust)
            let denied = try await BoxClient.ask(other, "GET /secret/key HTTP/1.1\r\nHost: \(host)\r\n\r\n")
            XCTAssertEqual(denied.status, 403)
            XCTAssertTrue(denied.body.contains("deny GET /secret/**"), denied.body)
            let third = try await BoxClient.open(setup.path, host: "service.test", port: setup.service.port, trust: setup.boxTrust)
            let escaped = try await BoxClient.ask(third, "GET /%73ecret/key HTTP/1.1\r\nHost: \(host)\r\n\r\n")
            XCTAssertEqual(escaped.status, 403, "a percent-escaped path is the same path to the rules")
        }
        XCTAssertEqual(setup.service.seen.withLock { $0.map(\.target) }, ["/repos/a?x=1", "/again"], "nothing refused reached the service")
        let refusals = setup.events.withLock { $0.filter { $0.phase == .denied } }
        XCTAssertEqual(refusals.count, 3)
        XCTAssertEqual(refusals.first?.decidedBy, "rule")
        XCTAssertEqual(refusals.first?.method, "POST")
        XCTAssertTrue(refusals.first?.rule?.contains("network.rules") ?? false)
        XCTAssertEqual(setup.events.withLock { $0.filter { $0.phase == .closed && $0.status == 200 }.first?.rule }, "network.rules[\"\(host)\"]: GET /**")
    }

    func testDomainFrontingIsRefusedByHostAndBySNI() async throws {
        let setup = try await start()
        defer { finish(setup) }
        try await withTimeout(20) {
            let box = try await BoxClient.open(setup.path, host: "service.test", port: setup.service.port, trust: setup.boxTrust)
            let fronted = try await BoxClient.ask(box, "GET / HTTP/1.1\r\nHost: evil.test\r\n\r\n")
            XCTAssertEqual(fronted.status, 403)
            XCTAssertTrue(fronted.body.contains("Host is not service.test"), fronted.body)
            let bySNI = try await BoxClient.open(setup.path, host: "service.test", port: setup.service.port, trust: setup.boxTrust, serverName: "evil.test")
            let answer = try? await BoxClient.ask(bySNI, "GET / HTTP/1.1\r\nHost: service.test:\(setup.service.port)\r\n\r\n")
            XCTAssertNil(answer?.status, "the connection with another SNI ends unanswered")
        }
        XCTAssertEqual(setup.service.seen.withLock { $0.count }, 0)
        let reasons = setup.events.withLock { $0.compactMap(\.reason) }
        XCTAssertEqual(reasons.filter { $0.contains("domain fronting") }.count, 2, "\(reasons)")
        XCTAssertTrue(reasons.contains { $0.contains("evil.test inside CONNECT service.test") }, "\(reasons)")
    }

    func testAnUpstreamCertificateNotTrustedIsRefusedWith502() async throws {
        let setup = try await start(trustService: false)
        defer { finish(setup) }
        let answer = try await withTimeout(20) {
            let box = try await BoxClient.open(setup.path, host: "service.test", port: setup.service.port, trust: setup.boxTrust)
            return try await BoxClient.ask(box, "GET / HTTP/1.1\r\nHost: service.test:\(setup.service.port)\r\n\r\n")
        }
        XCTAssertEqual(answer.status, 502)
        XCTAssertTrue(answer.body.contains("certificate"), answer.body)
    }

    func testPipelinedRequestsAreServedOneAtATimeAndAWebSocketUpgradePasses() async throws {
        let setup = try await start()
        defer { finish(setup) }
        let host = "service.test:\(setup.service.port)"
        try await withTimeout(20) {
            let box = try await BoxClient.open(setup.path, host: "service.test", port: setup.service.port, trust: setup.boxTrust)
            try await box.stream.write(Array("GET /one HTTP/1.1\r\nHost: \(host)\r\n\r\nGET /two HTTP/1.1\r\nHost: \(host)\r\n\r\n".utf8))
            for expected in ["GET /one", "GET /two"] {
                let head = try await box.readHead(StatusHead.self, limits: HTTPLimits())
                let body = try await HTTPSStandIn.body(box, head!)
                XCTAssertEqual(String(decoding: body, as: UTF8.self), expected)
            }
            let socket = try await BoxClient.ask(box, "GET /ws HTTP/1.1\r\nHost: \(host)\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
            XCTAssertEqual(socket.status, 101)
            try await box.stream.write(Array("ping".utf8))
            var echo: [UInt8] = box.buffer
            while echo.count < 4 { guard try await box.stream.read(into: &echo) > 0 else { break } }
            XCTAssertEqual(String(decoding: echo, as: UTF8.self), "ping")
        }
    }
}

final class RequestRuleTests: XCTestCase {
    func testGlobsAndNormalizing() {
        func allows(_ rule: String, _ target: String) -> Bool {
            RequestRule(rule)!.matches(method: "GET", target: RequestRule.normalized(target) ?? [])
        }
        XCTAssertTrue(allows("GET /*/*/info/refs?service=git-upload-pack", "/o/r.git/info/refs?service=git-upload-pack"))
        XCTAssertFalse(allows("GET /*/*/info/refs?service=git-upload-pack", "/o/r.git/info/refs?service=git-receive-pack"))
        XCTAssertFalse(allows("GET /repos/*", "/repos/a/b"), "* stays within a segment")
        XCTAssertTrue(allows("GET /repos/**", "/repos/a/b?c=d"))
        XCTAssertTrue(allows("* /x", "/x"))
        for bad in ["/a/../b", "/a/%2e%2E/b", "/a%2Fb", "/a\\b", "a", "/%zz", "/a/."] { XCTAssertNil(RequestRule.normalized(bad), bad) }
        XCTAssertEqual(RequestRule.normalized("/%67it%20x").map { String(decoding: $0, as: UTF8.self) }, "/git%20x")
        for bad in ["GET", "GET x", "get /a b", "deny", "G3T /a", "GET /a\u{7}"] { XCTAssertNil(RequestRule(bad), bad) }
    }

    func testTheDefaultsKeepGitHubReadOnly() throws {
        let rules = try NetworkRules([NetworkConfig.defaultRules])
        func decide(_ method: String, _ host: String, _ target: String) -> Bool {
            if case .allowed = rules.decide(host: host, port: 443, method: method, target: RequestRule.normalized(target)!) { return true }
            return false
        }
        XCTAssertTrue(decide("GET", "github.com", "/o/r.git/info/refs?service=git-upload-pack"))
        XCTAssertTrue(decide("POST", "github.com", "/o/r.git/git-upload-pack"))
        XCTAssertFalse(decide("GET", "github.com", "/o/r.git/info/refs?service=git-receive-pack"))
        XCTAssertFalse(decide("POST", "github.com", "/o/r.git/git-receive-pack"))
        XCTAssertTrue(decide("GET", "api.github.com", "/repos/o/r/issues"))
        XCTAssertFalse(decide("POST", "api.github.com", "/repos/o/r/issues"))
        XCTAssertFalse(decide("POST", "uploads.github.com", "/x"))
        XCTAssertFalse(decide("PUT", "registry.npmjs.org", "/pkg"))
        XCTAssertFalse(rules.intercepts(host: "example.com", port: 443), "hosts without rules stay tunnels")
    }

    func testMalformedRulesStopTheConfigNamingTheField() throws {
        func parse(_ json: String) throws -> Config { try ConfigLoader.parse(Array(json.utf8), file: "test.json") }
        XCTAssertThrowsError(try parse(#"{"network": {"rules": {"api.github.com": ["FETCH"]}}}"#)) { error in
            XCTAssertTrue("\(error)".contains(#"network.rules["api.github.com"]"#), "\(error)")
        }
        XCTAssertThrowsError(try parse(#"{"network": {"rules": {"evil.com/x": []}}}"#)) { XCTAssertTrue("\($0)".contains("network.rules"), "\($0)") }
        XCTAssertThrowsError(try parse(#"{"repos": [{"name": "r", "path": "/x", "rules": {"a.com": ["GET"]}}]}"#))
        XCTAssertThrowsError(try parse(#"{"network": {"extraCAs": ["relative.pem"]}}"#)) { XCTAssertTrue("\($0)".contains("network.extraCAs"), "\($0)") }
        XCTAssertThrowsError(try parse(#"{"network": {"rulez": {}}}"#))
        let good = try parse(#"{"network": {"rules": {"api.github.com": ["GET /**", "deny GET /x/**"]}, "extraCAs": ["/etc/x.pem"]}}"#)
        XCTAssertEqual(good.network.rules.count, 1)
    }
}
