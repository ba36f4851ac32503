import BurrowKit
import Glibc
import BurrowSystem
import BurrowHTTP
import BurrowPodman

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
    /// With `repeat` > 1, that many burrows one after another, all their events pooled.
    static func flood(port: UInt16, token: String, repo: String, count: Int, size: Int, repeat runs: Int = 1) async throws {
        var latencies: [Double] = []
        var received = 0
        for _ in 0..<runs {
            received += try await floodOnce(port: port, token: token, repo: repo, count: count, size: size, latencies: &latencies)
        }
        latencies.sort()
        func percentile(_ p: Double) -> String {
            latencies.isEmpty ? "n/a" : String(format3: latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))])
        }
        Console.out("events_live=\(received) of \(count * runs) p50_ms=\(percentile(0.5)) p99_ms=\(percentile(0.99)) max_ms=\(percentile(1.0))")
    }

    static func floodOnce(port: UInt16, token: String, repo: String, count: Int, size: Int, latencies: inout [Double]) async throws -> Int {
        let id = try await launch(port: port, token: token, repo: repo, task: "\(count) \(size)")
        let stream = try await open(port: port, token: token, id: id)
        var received = 0
        var pending: [UInt8] = []
        reading: while true {
            guard let piece = try await stream.next() else { break }
            let now = realtimeNanoseconds()
            pending += piece
            // Walk the lines with an offset and compact once per piece: removing each line from the
            // front would make a client that fell behind fall further behind (quadratic). Byte loops,
            // not generic searches: this client shares the cores with what it measures.
            var start = 0
            var ended = false
            pending.withUnsafeBufferPointer { bytes in
                while let newline = bytes[start...].firstIndex(of: 0x0A) {
                    defer { start = newline + 1 }
                    if newline - start >= 10, bytes[start] == UInt8(ascii: "e"), bytes[start + 7] == UInt8(ascii: "e"),
                       bytes[start + 8] == UInt8(ascii: "n"), bytes[start + 9] == UInt8(ascii: "d") {  // "event: end"
                        ended = true
                        return
                    }
                    guard let stamp = stampValue(bytes, start, newline) else { continue }
                    latencies.append(Double(now - stamp) / 1e6)
                    received += 1
                }
            }
            pending.removeFirst(start)
            if ended { break }
        }
        if FileSystem.environment("BENCH_TRACE") != nil {
            let tail = latencies.suffix(received)
            let step = max(1, tail.count / 20)
            Console.error("latency by position (ms): " + stride(from: tail.startIndex, to: tail.endIndex, by: step).map { String(format3: tail[$0..<min($0 + step, tail.endIndex)].max() ?? 0) }.joined(separator: " "))
        }
        return received
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

    /// In a `data:` line, the number after "stamp N ": the time the container wrote the event.
    static func stampValue(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Int64? {
        let marker: [UInt8] = Array("stamp ".utf8)
        guard end - start > 6, bytes[start] == UInt8(ascii: "d") else { return nil }
        var index = start
        search: while index + marker.count <= end {
            for offset in 0..<marker.count where bytes[index + offset] != marker[offset] {
                index += 1
                continue search
            }
            break
        }
        index += marker.count
        while index < end, bytes[index] != 0x20 { index += 1 }  // the event number
        index += 1
        var value: Int64 = 0
        var digits = 0
        while index < end, bytes[index] >= 0x30, bytes[index] <= 0x39 {
            value = value * 10 + Int64(bytes[index] - 0x30)
            index += 1
            digits += 1
        }
        return digits > 0 ? value : nil
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
