import BurrowKit
import BurrowSystem
import BurrowHTTP
import BurrowPodman
import BurrowWeb


enum SSEBench {
    static let token = "bench-token"

    static func server(port: UInt16) async throws {
        let broadcaster = EventBroadcaster(historyLimit: 100_000, channelCapacity: 100_000)
        var router = Router()
        router.addHealth(startedAt: Monotonic.now())
        router.get("/api/stream") { request in .eventStream(await broadcaster.subscribe(after: request.lastEventID)) }
        router.get("/api/subscribers") { _ in .text("\(await broadcaster.subscriberCount)") }
        router.post("/api/publish") { request in
            let count = Int(request.queryValue("count") ?? "1") ?? 1
            let payload = String(repeating: "x", count: Int(request.queryValue("size") ?? "200") ?? 200)
            for index in 0..<count { await broadcaster.publish(event: "bench", data: "{\"n\":\(index),\"p\":\"\(payload)\"}") }
            return .text("published \(count)")
        }
        let listener = try AsyncSocket.listening(on: .ipv4("127.0.0.1", port: port))
        let app = Application(router: router, access: AccessControl(token: token, listen: listener.localAddress!), staticFiles: nil)
        let server = app.makeServer(listener: listener)
        let (signalled, signal) = AsyncStream<Int32>.makeStream()
        let signals = SignalWatcher(signals: [2, 15]) { signal.yield($0) }
        Console.out("sse-server on \(server.address)")
        // The signal wait and the server, children of one group: nothing runs unowned.
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await _ in signalled {
                    await server.shutdown()
                    return
                }
            }
            await server.run()
            signal.finish()
        }
        _ = signals
    }

    /// Opens `clients` streams, waits until each has `events` events, checks they came in order.
    static func clients(port: UInt16, clients: Int, events: Int) async throws -> Bool {
        let started = Monotonic.now()
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<clients {
                group.addTask {
                    let socket = try await AsyncSocket.connect(to: .ipv4("127.0.0.1", port: port))
                    defer { socket.close() }
                    try await socket.write(Array("GET /api/stream HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAuthorization: Bearer \(token)\r\n\r\n".utf8))
                    var buffer: [UInt8] = []
                    var seen = 0
                    var expected = 1
                    var inOrder = true
                    let marker = Array("\nid: ".utf8)
                    var scan = 0
                    while seen < events {
                        if try await socket.read(into: &buffer) == 0 { return false }
                        // Count "id: N" lines; chunk framing puts "\r\n" before them, hence the search for "\nid: ".
                        while scan + marker.count < buffer.count {
                            if buffer[scan] == marker[0] && Array(buffer[scan..<(scan + marker.count)]) == marker {
                                var end = scan + marker.count
                                var number = 0
                                while end < buffer.count, buffer[end] >= 0x30, buffer[end] <= 0x39 {
                                    number = number * 10 + Int(buffer[end] - 0x30)
                                    end += 1
                                }
                                if end == buffer.count { break }
                                if number != expected { inOrder = false }
                                expected = number + 1
                                seen += 1
                                scan = end
                            } else {
                                scan += 1
                            }
                        }
                        if scan > 65536 {
                            buffer.removeFirst(scan)
                            scan = 0
                        }
                    }
                    return inOrder
                }
            }
            var all: [Bool] = []
            for try await result in group { all.append(result) }
            return all
        }
        let seconds = Double(Monotonic.now() - started) / 1e9
        let good = results.filter { $0 }.count
        Console.out("clients=\(clients) events=\(events) complete_in_order=\(good) seconds=\(String(format: seconds))")
        return good == clients
    }
}

extension String {
    init(format seconds: Double) {
        let scaled = Int((seconds * 1000).rounded())
        self = "\(scaled / 1000).\(String(scaled % 1000).leftPad(3))"
    }

    func leftPad(_ width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
