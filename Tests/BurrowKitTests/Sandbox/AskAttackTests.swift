@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowKit
import Foundation
import XCTest
@testable import BurrowWeb

/// `network.unlisted: "ask"` from inside a real burrow: the agent (a shell script, the attacker)
/// asks for hosts off its allowlist; the test answers as the person on the page would.
final class AskAttackTests: XCTestCase {
    /// The busybox image has no curl: its wget honours `http_proxy` (Burrow's proxy) for http:// URLs.
    static func fetch(_ host: String, _ port: UInt16, _ path: String) -> String {
        "echo \"== \(path)\"; wget -q -O - http://\(host):\(port)\(path) 2>&1; echo \"\(path) exit=$?\""
    }

    func makeApp(askSeconds: Int, stateDir: String? = nil, hosts: [String]) async throws -> BurrowTestApp {
        try await BurrowTestApp(stateDir: stateDir) { config in
            config.network = NetworkConfig(mode: .allowlist)
            config.network.allow = []
            config.network.unlisted = .ask
            config.network.askSeconds = askSeconds
            config.network.resolve = Dictionary(uniqueKeysWithValues: hosts.map { ($0, "127.0.0.1") })
            config.agentCommand = ["sh", "-c"]
            config.taskInput = .argument
        }
    }

    /// Waits for a pending ask for `host`, as the page would see it.
    func pendingAsk(_ app: BurrowTestApp, _ id: String, host: String, within seconds: Double = 60) async throws -> Ask {
        try await withTimeout(seconds) {
            while true {
                let response = try await app.server.request("GET", "/api/burrows/\(id)/asks")
                let list = try JSONDecoder().decode(AskList.self, from: Data(response.body))
                if let ask = list.asks.first(where: { $0.host == host }) { return ask }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    func answer(_ app: BurrowTestApp, _ id: String, _ ask: Ask, _ answer: String) async throws -> RawClient.Response {
        try await app.server.request("POST", "/api/burrows/\(id)/asks/\(ask.id)", headers: ["Content-Type": "application/json"],
                                     body: #"{"answer": "\#(answer)"}"#)
    }

    static func output(_ events: [StreamEvent]) -> [String] {
        events.filter { $0.kind == "log" }.compactMap { (try? JSONDecoder().decode(OutputEvent.LogLine.self, from: Data($0.data.utf8)))?.text }
    }

    func testHeldRequestsWaitForAPersonAndTimeOutDenied() async throws {
        let site = try RecordingUpstream()
        defer { site.stop() }
        let port = site.port
        let hosts = ["once.ask.test", "late.ask.test", "burrow.ask.test", "always.ask.test"]
        let app = try await makeApp(askSeconds: 3, hosts: hosts)
        let script = [Self.fetch("once.ask.test", port, "/once"), Self.fetch("late.ask.test", port, "/late"),
                      Self.fetch("burrow.ask.test", port, "/burrow1"), Self.fetch("burrow.ask.test", port, "/burrow2"),
                      Self.fetch("always.ask.test", port, "/always1")].joined(separator: "\n")
        let record = try await app.launch(script)
        let once: Ask
        do { once = try await pendingAsk(app, record.id, host: "once.ask.test") } catch {
            print(try await app.server.request("GET", "/api/burrows/\(record.id)/history").text)
            throw error
        }
        XCTAssertEqual(once.port, port)
        XCTAssertEqual(once.method, "GET")
        XCTAssertEqual(once.path, "/once")
        XCTAssertTrue(site.heads.withLock { $0.isEmpty }, "held: no upstream connection before the answer")
        let allowedOnce = try await answer(app, record.id, once, "once")
        XCTAssertEqual(allowedOnce.status, 200, allowedOnce.text)
        let completed = await ProxyHarness.eventually(10) { site.heads.withLock { $0.map(\.target) } == ["/once"] }
        XCTAssertTrue(completed, "the held request completed")
        // No answer: denied after askSeconds; the stand-in never sees it.
        _ = try await pendingAsk(app, record.id, host: "late.ask.test")
        let burrow = try await pendingAsk(app, record.id, host: "burrow.ask.test", within: 20)
        let allowedBurrow = try await answer(app, record.id, burrow, "burrow")
        XCTAssertEqual(allowedBurrow.status, 200, allowedBurrow.text)
        let always = try await pendingAsk(app, record.id, host: "always.ask.test", within: 20)
        let answered = try await answer(app, record.id, always, "repo")
        XCTAssertEqual(answered.status, 200, answered.text)
        let late = try await answer(app, record.id, always, "deny")
        XCTAssertEqual(late.status, 409, "an answered ask is not waiting any more: \(late.text)")
        let events = try await app.readStream(record.id)
        let output = Self.output(events).joined(separator: "\n")
        XCTAssertTrue(output.contains("/once exit=0") && output.contains("/burrow2 exit=0") && output.contains("/always1 exit=0"), output)
        XCTAssertTrue(output.contains("/late exit=1"), output)
        XCTAssertEqual(site.heads.withLock { $0.map(\.target) }, ["/once", "/burrow1", "/burrow2", "/always1"])
        let asks = events.filter { $0.kind == "ask" }.compactMap { try? JSONDecoder().decode(Ask.self, from: Data($0.data.utf8)) }
        XCTAssertEqual(asks.filter { $0.decision == nil }.map(\.host), hosts, "one ask each: burrow2 passed without asking")
        XCTAssertEqual(asks.compactMap(\.decision), ["once", "timeout", "burrow", "repo"])
        let net = events.filter { $0.kind == "net" }.compactMap { try? JSONDecoder().decode(NetEvent.self, from: Data($0.data.utf8)) }
        let timedOut = try XCTUnwrap(net.first { $0.host == "late.ask.test" && $0.phase == .denied })
        XCTAssertEqual(timedOut.decidedBy, "timeout")
        XCTAssertTrue(timedOut.reason?.contains("no one answered in 3 s") == true && timedOut.reason?.contains("network.allow") == true, "\(timedOut)")
        // Always for this repo: kept in the state dir, and the next launch passes without asking.
        let kept = try String(contentsOfFile: app.stateDir + "/" + RepoAllowances.fileName, encoding: .utf8)
        XCTAssertTrue(kept.contains("always.ask.test:\(port)"), kept)
        let second = try await app.launch(Self.fetch("always.ask.test", port, "/always2") + "\n" + Self.fetch("burrow.ask.test", port, "/burrow3"))
        let secondEvents = try await app.readStream(second.id)
        let secondOutput = Self.output(secondEvents).joined(separator: "\n")
        XCTAssertTrue(secondOutput.contains("/always2 exit=0"), secondOutput)
        XCTAssertTrue(secondOutput.contains("/burrow3 exit=1"), "allowed for the first burrow only: \(secondOutput)")
        XCTAssertEqual(secondEvents.filter { $0.kind == "ask" }.compactMap { try? JSONDecoder().decode(Ask.self, from: Data($0.data.utf8)) }
            .filter { $0.decision == nil }.map(\.host), ["burrow.ask.test"])
        let removed = try await app.server.request("DELETE", "/api/repos/demo/allowed/always.ask.test:\(port)")
        XCTAssertEqual(removed.status, 204, removed.text)
        XCTAssertTrue(app.manager.alwaysAllowed.targets(repo: "demo").isEmpty)
        await app.cleanUp()
    }

    func testAFloodOfAsksIsCappedAndAStopDeniesThePendingOnesAtOnce() async throws {
        let site = try RecordingUpstream()
        defer { site.stop() }
        let app = try await makeApp(askSeconds: 120, hosts: [])
        // 1,000 distinct names in batches of 100 (each a process and a connection); a name that does
        // not resolve is never reached: the ask comes first, and the cap before it.
        let script = """
        i=0; while [ $i -lt 10 ]; do j=0; while [ $j -lt 100 ]; do wget -q -O /dev/null http://h$i-$j.flood.test/ 2>/dev/null & j=$((j+1)); done; i=$((i+1)); sleep 0.2; done
        echo "started: $i batches"; sleep 300
        """
        let record = try await app.launch(script)
        try await withTimeout(120) {
            while !(await Self.floodDone(app, record.id)) { try await Task.sleep(for: .milliseconds(200)) }
        }
        let started = Date()
        let list = try JSONDecoder().decode(AskList.self, from: Data(try await app.server.request("GET", "/api/burrows/\(record.id)/asks").body))
        XCTAssertLessThan(Date().timeIntervalSince(started), 5, "Burrow answers while 1,000 asks arrive")
        XCTAssertEqual(list.asks.count, AskSettings.maxPending, "capped")
        XCTAssertTrue(list.asks.allSatisfy { ($0.secondsLeft ?? 0) > 60 }, "\(list.asks)")
        // Stopping the burrow denies every pending ask now, not after askSeconds.
        _ = try await app.manager.stop(record.id)
        let events = try await app.readStream(record.id)
        XCTAssertLessThan(Date().timeIntervalSince(started), 60)
        let asks = events.filter { $0.kind == "ask" }.compactMap { try? JSONDecoder().decode(Ask.self, from: Data($0.data.utf8)) }
        XCTAssertEqual(asks.filter { $0.decision == nil }.count, AskSettings.maxPending)
        XCTAssertEqual(asks.filter { $0.decision != nil }.count, AskSettings.maxPending, "each pending ask closed")
        XCTAssertFalse(asks.contains { $0.decision == "timeout" })
        let refused = events.filter { $0.kind == "net" && $0.data.contains("already wait for an answer") }.count
        XCTAssertGreaterThan(refused, 500, "the rest denied without asking")
        let after = try JSONDecoder().decode(AskList.self, from: Data(try await app.server.request("GET", "/api/burrows/\(record.id)/asks").body))
        XCTAssertTrue(after.asks.isEmpty)
        try await app.manager.teardown(record.id, purge: false)
        let rooms = await app.manager.askRooms.count
        XCTAssertEqual(rooms, 0, "the teardown ended the burrow's desk and its publishing task")
        XCTAssertTrue(site.heads.withLock { $0.isEmpty })
        await app.cleanUp()
    }

    func testALaunchMayAskWhereTheConfigDeniesAndAPersonsDenyIsADenial() async throws {
        let site = try RecordingUpstream()
        defer { site.stop() }
        let app = try await BurrowTestApp { config in
            config.network = NetworkConfig(mode: .allowlist)
            config.network.allow = []
            config.network.resolve = ["denied.ask.test": "127.0.0.1"]
            config.agentCommand = ["sh", "-c"]
            config.taskInput = .argument
        }
        func launch(_ network: String) async throws -> RawClient.Response {
            let task = Self.fetch("denied.ask.test", site.port, "/no")
            let body = String(decoding: try JSONEncoder().encode(["repo": "demo", "task": task]), as: UTF8.self).dropLast() + #", "network": \#(network)}"#
            return try await app.server.request("POST", "/api/burrows", headers: ["Content-Type": "application/json"], body: String(body))
        }
        let refused = try await launch(#"{"unlisted": "ask", "askSeconds": 301}"#)
        XCTAssertEqual(refused.status, 400, refused.text)
        XCTAssertTrue(refused.text.contains("network.askSeconds"), refused.text)
        let launched = try await launch(#"{"unlisted": "ask", "askSeconds": 120}"#)
        XCTAssertEqual(launched.status, 201, launched.text)
        let record = try JSONDecoder().decode(BurrowRecord.self, from: Data(launched.body))
        XCTAssertEqual(record.asking, AskSettings(unlisted: .ask, seconds: 120))
        let ask = try await pendingAsk(app, record.id, host: "denied.ask.test")
        XCTAssertEqual(ask.seconds, 120)
        let denied = try await answer(app, record.id, ask, "deny")
        XCTAssertEqual(denied.status, 200, denied.text)
        let events = try await app.readStream(record.id)
        XCTAssertTrue(Self.output(events).contains("/no exit=1"), "\(Self.output(events))")
        let net = events.filter { $0.kind == "net" }.compactMap { try? JSONDecoder().decode(NetEvent.self, from: Data($0.data.utf8)) }
        XCTAssertEqual(net.first { $0.host == "denied.ask.test" }?.decidedBy, "person")
        XCTAssertTrue(site.heads.withLock { $0.isEmpty })
        await app.cleanUp()
    }

    /// The script printed that every batch was started (its text says `$i`, not 10).
    static func floodDone(_ app: BurrowTestApp, _ id: String) async -> Bool {
        guard let response = try? await app.server.request("GET", "/api/burrows/\(id)/history") else { return false }
        return response.text.contains("started: 10 batches")
    }
}
