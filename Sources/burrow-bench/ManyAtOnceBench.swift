import FoundationEssentials
import BurrowKit
import Glibc
import BurrowSystem
import BurrowHTTP
import BurrowPodman

/// Many burrows at once (issue 26, item 5): `burrows` launched together, each agent printing
/// `burrow-stamp` lines at about `rate` a second for `seconds`; one SSE client per burrow takes
/// every line's delay (arrival here − the CLOCK_REALTIME the container wrote it at), counts lines
/// per burrow against what the agent printed, and waits for every burrow's end.
enum ManyAtOnceBench {
    struct Outcome: Sendable {
        var latencies: [Double] = []
        /// When each line was written (realtime ns), beside its delay: where in the run delays grew.
        var stamps: [Int64] = []
        var lines = 0
        var ended = false
    }

    static func run(port: UInt16, token: String, repo: String, burrows: Int, seconds: Int, expectedPerBurrow: Int, limit: Int) async throws {
        let started = Monotonic.now()
        // All launched at once: Burrow queues them (maxConcurrent, and its gate to Podman).
        let ids = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<burrows { group.addTask { try await LifecycleBench.launch(port: port, token: token, repo: repo, task: "\(seconds)") } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let launchMs = Double(Monotonic.now() - started) / 1e6
        let outcomes = await withTaskGroup(of: Outcome.self) { group in
            for id in ids {
                group.addTask {
                    (try? await withDeadline(.seconds(limit), operation: "burrow \(id)") { try await follow(port: port, token: token, id: id) }) ?? Outcome()
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        var latencies = outcomes.flatMap(\.latencies)
        latencies.sort()
        func percentile(_ p: Double) -> String {
            latencies.isEmpty ? "n/a" : String(format3: latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))])
        }
        let finished = outcomes.filter(\.ended).count
        let complete = outcomes.filter { $0.lines == expectedPerBurrow }.count
        Console.out("burrows=\(burrows) finished=\(finished) complete=\(complete) lines=\(outcomes.map(\.lines).reduce(0, +)) of \(burrows * expectedPerBurrow) "
                    + "p50_ms=\(percentile(0.5)) p99_ms=\(percentile(0.99)) max_ms=\(percentile(1.0)) launch_all_ms=\(String(format3: launchMs)) "
                    + "wall_s=\(String(format3: Double(Monotonic.now() - started) / 1e9))")
        try await startups(port: port, token: token, ids: ids)
        timeline(outcomes)
    }

    /// The delay's p50/p99 per 5 s of the run, by when the line was written.
    static func timeline(_ outcomes: [Outcome]) {
        let pairs = outcomes.flatMap { zip($0.stamps, $0.latencies) }
        guard let first = pairs.map(\.0).min() else { return }
        var buckets: [Int: [Double]] = [:]
        for (stamp, latency) in pairs { buckets[Int((stamp - first) / 5_000_000_000), default: []].append(latency) }
        Console.out("delay by when written (5 s buckets, p50/p99 ms, lines): " + buckets.keys.sorted().map { key in
            let values = buckets[key]!.sorted()
            return "\(key * 5)s \(String(format3: values[values.count / 2]))/\(String(format3: values[min(values.count - 1, values.count * 99 / 100)])) (\(values.count))"
        }.joined(separator: ", "))
    }

    /// One burrow's stream from its start to its `end` event.
    static func follow(port: UInt16, token: String, id: String) async throws -> Outcome {
        let stream = try await LifecycleBench.open(port: port, token: token, id: id)
        defer { stream.close() }
        var outcome = Outcome()
        var pending: [UInt8] = []
        while !outcome.ended, let piece = try await stream.next() {
            let now = LifecycleBench.realtimeNanoseconds()
            pending += piece
            var start = 0
            pending.withUnsafeBufferPointer { bytes in
                while !outcome.ended, let newline = bytes[start...].firstIndex(of: 0x0A) {
                    defer { start = newline + 1 }
                    if newline - start >= 10, bytes[start] == UInt8(ascii: "e"), bytes[start + 7] == UInt8(ascii: "e"),
                       bytes[start + 8] == UInt8(ascii: "n"), bytes[start + 9] == UInt8(ascii: "d") {  // "event: end"
                        outcome.ended = true
                    } else if let stamp = LifecycleBench.stampValue(bytes, start, newline) {
                        outcome.latencies.append(Double(now - stamp) / 1e6)
                        outcome.stamps.append(stamp)
                        outcome.lines += 1
                    }
                }
            }
            pending.removeFirst(start)
        }
        return outcome
    }

    /// Each record's start-up (`startup`), summed per phase: where the start of many went.
    static func startups(port: UInt16, token: String, ids: [String]) async throws {
        var phases: [String: [Double]] = [:]
        var order: [String] = []
        for id in ids {
            var request = ClientRequest("GET", "/api/burrows/\(id)", headers: ["Authorization": "Bearer \(token)"])
            request.host = "127.0.0.1:\(port)"
            let body = try await LifecycleBench.client(port).send(request).body
            struct Record: Decodable { let startup: [StartupPhase]?; let state: String }
            let record = try JSONDecoder().decode(Record.self, from: Data(body))
            for phase in record.startup ?? [] {
                if phases[phase.phase] == nil { order.append(phase.phase) }
                phases[phase.phase, default: []].append(phase.ms)
            }
        }
        Console.out("startup p50/max ms: " + order.map { name in
            let values = phases[name, default: []].sorted()
            return "\(name) \(String(format3: values[values.count / 2]))/\(String(format3: values.last ?? 0))"
        }.joined(separator: ", "))
    }
}
