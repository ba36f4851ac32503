@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// Server-sent events over real sockets: replay with Last-Event-ID, and a stalled reader that must
/// not hold up anyone else.
final class EventStreamTests: XCTestCase {
    struct Received: Sendable { let id: String; let data: String }

    func makeServer(_ broadcaster: EventBroadcaster, capacity: Int = 4096) throws -> TestServer {
        try TestServer { router in
            router.get("/api/stream") { request in
                .eventStream(await broadcaster.subscribe(after: request.lastEventID))
            }
        }
    }

    func testReplaysAfterLastEventIDThenFollowsLive() async throws {
        let broadcaster = EventBroadcaster()
        let server = try makeServer(broadcaster)
        for index in 1...3 { await broadcaster.publish(event: "tick", data: "event \(index)") }
        let client = try await server.client()
        try await client.send("GET /api/stream HTTP/1.1\r\nHost: \(server.host)\r\nAuthorization: Bearer \(server.token)\r\nLast-Event-ID: 1\r\n\r\n")
        let head = try await client.streamHead()
        XCTAssertEqual(head.status, 200)
        XCTAssertEqual(head.headers["Content-Type"], "text/event-stream")
        await broadcaster.publish(event: "tick", data: "multi\nline")
        let events = try await withTimeout(5) { try await readEvents(client, count: 3) }
        XCTAssertEqual(events.map(\.id), ["2", "3", "4"])
        XCTAssertEqual(events.last?.data, "multi\nline")
        client.close()
        await server.stop()
    }

    func testStalledReaderDoesNotBlockOthersAndIsDropped() async throws {
        let broadcaster = EventBroadcaster(channelCapacity: 64)
        let server = try makeServer(broadcaster)
        let stalled = try await server.client()
        try await stalled.send("GET /api/stream HTTP/1.1\r\nHost: \(server.host)\r\nAuthorization: Bearer \(server.token)\r\n\r\n")
        let reader = try await server.client()
        try await reader.send("GET /api/stream HTTP/1.1\r\nHost: \(server.host)\r\nAuthorization: Bearer \(server.token)\r\n\r\n")
        _ = try await reader.streamHead()
        try await Task.sleep(for: .milliseconds(100))
        // The stalled client never reads: its socket buffers fill, then its channel overflows.
        let payload = String(repeating: "p", count: 16 * 1024)
        let count = 400
        // Published in steps the reader keeps up with (so only the stalled client can fall behind,
        // however busy the machine is), 32 at a time: half the channel's capacity.
        var events: [Received] = []
        for start in stride(from: 1, through: count, by: 32) {
            let end = min(start + 31, count)
            for index in start...end { await broadcaster.publish(event: "big", data: "\(index) \(payload)") }
            events += try await withTimeout(10) { try await readEvents(reader, count: end - start + 1) }
        }
        XCTAssertEqual(events.count, count, "the reading client got every event")
        XCTAssertEqual(events.map(\.id), (1...count).map(String.init))
        let subscribers = await broadcaster.subscriberCount
        XCTAssertEqual(subscribers, 1, "the stalled client was dropped")
        let health = try await withTimeout(2) { try await server.request("GET", "/api/health") }
        XCTAssertEqual(health.status, 200)
        stalled.close()
        reader.close()
        await server.stop()
    }
}

/// Reads frames until `count` events have arrived; returns their ids and data.
func readEvents(_ client: RawClient, count: Int) async throws -> [EventStreamTests.Received] {
    var pending: [UInt8] = []
    var events: [EventStreamTests.Received] = []
    while events.count < count {
        let bytes = try await client.readSome()
        if bytes.isEmpty { throw SocketClosed() }
        pending += bytes
        // Take each complete block (ended by a blank line) off the front.
        var start = 0
        var index = 1
        while index < pending.count {
            if pending[index] == 0x0A && pending[index - 1] == 0x0A {
                let block = String(decoding: pending[start..<(index - 1)], as: UTF8.self)
                let lines = block.split(separator: "\n").map(String.init)
                if let id = lines.first(where: { $0.hasPrefix("id: ") }) {
                    let data = lines.filter { $0.hasPrefix("data: ") }.map { String($0.dropFirst(6)) }.joined(separator: "\n")
                    events.append(EventStreamTests.Received(id: String(id.dropFirst(4)), data: data))
                }
                start = index + 1
            }
            index += 1
        }
        pending.removeFirst(start)
    }
    return events
}
