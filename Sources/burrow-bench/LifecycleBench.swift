import BurrowKit
import Glibc

/// Against a running `burrow serve`: launch-to-first-output times, and event latency under a flood.
enum LifecycleBench {
    /// Launches `runs` burrows one after another; prints, for each, ms from POST to the first agent
    /// event on the SSE stream.
    static func firstOutput(port: UInt16, token: String, repo: String, runs: Int) async throws {
        var times: [Double] = []
        var preparation: [Double] = []
        var copies: [Double] = []
        for _ in 0..<runs {
            let started = Monotonic.now()
            let id = try await launch(port: port, token: token, repo: repo, task: "bench")
            let stream = try await open(port: port, token: token, id: id)
            _ = try await nextAgentEvent(stream)
            times.append(Double(Monotonic.now() - started) / 1e6)
            stream.close()
            try await waitForEnd(port: port, token: token, id: id)
            let (prepared, copy) = try await preparationMilliseconds(port: port, token: token, id: id)
            preparation.append(prepared)
            copies.append(copy)
        }
        Console.out(times.map { String(format3: $0) }.joined(separator: " "))
        Console.error("preparation (clone, tar, volumes, create, upload, start) ms: " + preparation.map { String(format3: $0) }.joined(separator: " "))
        Console.out("copy: " + copies.map { String(format3: $0) }.joined(separator: " "))
    }

    /// Launches one burrow whose agent is `burrow-stamp` printing `count` events of `size` bytes;
    /// prints p50/p99 of (arrival at this SSE client − stamp written in the container), in ms.
    static func flood(port: UInt16, token: String, repo: String, count: Int, size: Int) async throws {
        let id = try await launch(port: port, token: token, repo: repo, task: "\(count) \(size)")
        let stream = try await open(port: port, token: token, id: id)
        var latencies: [Double] = []
        var received = 0
        var pending: [UInt8] = []
        let marker = Array("stamp ".utf8)
        reading: while true {
            guard let piece = try await stream.next() else { break }
            let now = realtimeNanoseconds()
            pending += piece
            while let newline = pending.firstIndex(of: 0x0A) {
                let line = pending[..<newline]
                if let start = line.firstRange(of: marker) {
                    let fields = line[start.upperBound...].split(separator: 0x20, maxSplits: 2)
                    if fields.count >= 2, let stamp = Int64(String(decoding: fields[1], as: UTF8.self)) {
                        latencies.append(Double(now - stamp) / 1e6)
                        received += 1
                    }
                }
                if line.starts(with: Array("event: end".utf8)) { break reading }
                pending.removeSubrange(...newline)
            }
        }
        latencies.sort()
        func percentile(_ p: Double) -> String {
            latencies.isEmpty ? "n/a" : String(format3: latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))])
        }
        Console.out("events_live=\(received) of \(count) p50_ms=\(percentile(0.5)) p99_ms=\(percentile(0.99)) max_ms=\(percentile(1.0))")
    }

    /// startedAt − createdAt of a burrow record (everything before the container runs), and the
    /// part of it spent copying the repo in.
    static func preparationMilliseconds(port: UInt16, token: String, id: String) async throws -> (Double, Double) {
        var request = ClientRequest("GET", "/api/burrows/\(id)", headers: ["Authorization": "Bearer \(token)"])
        request.host = "127.0.0.1:\(port)"
        let text = try await client(port).send(request).text
        func number(_ key: String) -> Double {
            guard let range = text.firstRange(of: "\"\(key)\":") else { return 0 }
            return Double(text[range.upperBound...].prefix { $0.isNumber || $0 == "." }) ?? 0
        }
        return ((number("startedAt") - number("createdAt")) * 1000, number("repoCopyMs"))
    }

    static func realtimeNanoseconds() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }

    static func client(_ port: UInt16) -> HTTPClient { HTTPClient(address: .ipv4("127.0.0.1", port: port)) }

    static func launch(port: UInt16, token: String, repo: String, task: String) async throws -> String {
        let body = Array("{\"repo\":\"\(repo)\",\"task\":\"\(task)\"}".utf8)
        var request = ClientRequest("POST", "/api/burrows", headers: ["Authorization": "Bearer \(token)"], body: .bytes(body, contentType: "application/json"))
        request.host = "127.0.0.1:\(port)"
        let response = try await client(port).send(request)
        guard response.status == 201, let range = response.text.firstRange(of: "\"id\":\"") else {
            throw BenchFailure(reason: "launch failed: \(response.status) \(response.text)")
        }
        return String(response.text[range.upperBound...].prefix(12))
    }

    static func open(port: UInt16, token: String, id: String) async throws -> ResponseStream {
        var request = ClientRequest("GET", "/api/burrows/\(id)/events", headers: ["Authorization": "Bearer \(token)"])
        request.host = "127.0.0.1:\(port)"
        return try await client(port).open(request)
    }

    static func nextAgentEvent(_ stream: ResponseStream) async throws -> String {
        var text = ""
        while let piece = try await stream.next() {
            text += String(decoding: piece, as: UTF8.self)
            if text.contains("event: agent\n") { return text }
        }
        throw BenchFailure(reason: "stream ended before any agent event")
    }

    static func waitForEnd(port: UInt16, token: String, id: String) async throws {
        let stream = try await open(port: port, token: token, id: id)
        defer { stream.close() }
        var text = ""
        while let piece = try await stream.next() {
            text += String(decoding: piece, as: UTF8.self)
            if text.contains("event: end\n") { return }
        }
    }
}
