@testable import BurrowKit
@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowTLS
import XCTest

/// `network.unlisted: "ask"` inside TLS: a request `network.rules` refuse on an intercepted host is
/// held for a person instead of answered 403 at once (the box played by a client in this process;
/// the whole burrow with the page's answer: RequestAskAttackTests).
final class RequestAskTests: XCTestCase {
    struct Setup {
        let proxy: EgressProxy
        let service: HTTPSStandIn
        let desk: AskDesk
        let events: Locked<[NetEvent]>
        let boxTrust: TLSClientContext
        let folder: String
        var host: String { "service.test:\(service.port)" }

        func open() async throws -> TLSMessages {
            try await BoxClient.open(proxy.socketPath, host: "service.test", port: service.port, trust: boxTrust)
        }

        func post(_ path: String) async throws -> (status: Int?, body: String) {
            try await BoxClient.ask(try await open(), "POST \(path) HTTP/1.1\r\nHost: \(host)\r\nContent-Length: 5\r\n\r\nhello")
        }

        /// The pending ask once it opens.
        func pending(_ path: String) async throws -> Ask {
            try await withTimeout(10) {
                while true {
                    if let ask = await desk.asks.first(where: { $0.path?.hasPrefix(path) == true }) { return ask }
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
        }
    }

    func start(seconds: Int = 30) async throws -> Setup {
        let folder = try TemporaryDirectory.make("tls-ask")
        let service = try HTTPSStandIn(folder: folder)
        let interception = try Interception(burrow: "test", extraCAs: [service.caFile])
        try FileSystem.writeAtomically(interception.trustBundle(), to: folder + "/bundle.pem")
        let host = "service.test:\(service.port)"
        let policy = EgressPolicy(allow: [host], resolve: ["service.test": "127.0.0.1"], rules: try NetworkRules([[host: ["GET /**", "deny POST /locked/**"]]]))
        let desk = AskDesk(settings: AskSettings(unlisted: .ask, seconds: seconds))
        let events = Locked<[NetEvent]>([])
        let proxy = try EgressProxy(socketPath: folder + "/proxy.sock", policy: policy, model: nil, asks: desk, interception: interception,
                                    allowPeer: { _ in true }) { event in events.withLock { $0.append(event) } }
        Task { await proxy.run() }
        return Setup(proxy: proxy, service: service, desk: desk, events: events,
                     boxTrust: try TLSClientContext(extraCAs: [folder + "/bundle.pem"]), folder: folder)
    }

    func finish(_ setup: Setup) async {
        await setup.desk.end("test over")
        setup.proxy.shutdown()
        setup.service.stop()
        FileSystem.removeTree(setup.folder)
    }

    func testARefusedPostIsHeldAndPassesOnceAnswered() async throws {
        let setup = try await start()
        let answered = Task { try await setup.post("/repos/a/issues?x=1") }
        let ask = try await setup.pending("/repos/a/issues?x=1")
        XCTAssertEqual(ask.method, "POST")
        XCTAssertEqual(ask.scope, "request")
        XCTAssertTrue(setup.service.seen.withLock { $0.isEmpty }, "held: nothing reached the service before the answer")
        let answeredAsk = await setup.desk.answer(ask.id, .once)
        XCTAssertNotNil(answeredAsk)
        let result = try await withTimeout(10) { try await answered.value }
        XCTAssertEqual(result.status, 200, result.body)
        XCTAssertEqual(setup.service.seen.withLock { $0.map(\.target) }, ["/repos/a/issues?x=1"])
        XCTAssertEqual(setup.service.bodies.withLock { $0 }, [Array("hello".utf8)])
        // Once is once: the same request asks again.
        let again = Task { try await setup.post("/repos/a/issues?x=1") }
        let second = try await setup.pending("/repos/a/issues?x=1")
        await setup.desk.answer(second.id, .deny)
        let denied = try await withTimeout(10) { try await again.value }
        XCTAssertEqual(denied.status, 403)
        XCTAssertTrue(denied.body.contains("a person denied POST \(setup.host.lowercased()) /repos/a/issues"), denied.body)
        XCTAssertEqual(setup.events.withLock { $0.filter { $0.phase == .denied }.map(\.decidedBy) }, ["person"])
        await finish(setup)
    }

    func testAnUnansweredRequestAskTimesOutWith403() async throws {
        let setup = try await start(seconds: 1)
        let result = try await withTimeout(20) { try await setup.post("/late") }
        XCTAssertEqual(result.status, 403)
        XCTAssertTrue(result.body.contains("no one answered in 1 s"), result.body)
        XCTAssertTrue(result.body.contains("network.rules"), result.body)
        XCTAssertTrue(setup.service.seen.withLock { $0.isEmpty })
        let denied = try XCTUnwrap(setup.events.withLock { $0.first { $0.phase == .denied } })
        XCTAssertEqual(denied.decidedBy, "timeout")
        XCTAssertEqual(denied.method, "POST")
        XCTAssertEqual(denied.path, "/late")
        XCTAssertTrue(denied.rule?.contains("GET /**") == true, "\(denied)")
        await finish(setup)
    }

    func testBurrowAllowsThatMethodAndPathOnlyAndAsksCoalesce() async throws {
        let setup = try await start()
        let first = Task { try await setup.post("/same") }
        let second = Task { try await setup.post("/same?other=query") }
        let ask = try await setup.pending("/same")
        XCTAssertEqual(ask.method, "POST")
        try await Task.sleep(for: .milliseconds(300))
        let waiting = await setup.desk.asks.count
        XCTAssertEqual(waiting, 1, "one ask for the same method, host and path")
        await setup.desk.answer(ask.id, .burrow)
        let answers = try await withTimeout(10) { [try await first.value, try await second.value] }
        XCTAssertEqual(answers.map(\.status), [200, 200])
        let third = try await withTimeout(10) { try await setup.post("/same") }
        XCTAssertEqual(third.status, 200, "allowed for the burrow: no ask")
        let keys = await setup.desk.allowedRequestKeys, targets = await setup.desk.allowedTargets
        XCTAssertEqual(keys, ["POST \(setup.host) /same"])
        XCTAssertEqual(targets, [], "the host is not allowed as a whole")
        let other = Task { try await setup.post("/other") }
        let otherAsk = try await setup.pending("/other")
        XCTAssertEqual(otherAsk.path, "/other", "another path asks again")
        await setup.desk.answer(otherAsk.id, .deny)
        let refused = try await withTimeout(10) { try await other.value }
        XCTAssertEqual(refused.status, 403)
        XCTAssertEqual(setup.service.seen.withLock { $0.map(\.target) }.sorted(), ["/same", "/same", "/same?other=query"])
        await finish(setup)
    }

    func testADenyEntryIsNeverAskedAbout() async throws {
        let setup = try await start()
        let result = try await withTimeout(10) { try await setup.post("/locked/x") }
        XCTAssertEqual(result.status, 403)
        XCTAssertTrue(result.body.contains("deny POST /locked/**"), result.body)
        let waiting = await setup.desk.asks.count
        XCTAssertEqual(waiting, 0)
        XCTAssertEqual(setup.events.withLock { $0.first { $0.phase == .denied }?.decidedBy }, "rule")
        await finish(setup)
    }
}
