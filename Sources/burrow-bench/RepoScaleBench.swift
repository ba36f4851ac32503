import BurrowKit
import FoundationEssentials
import BurrowSystem
import BurrowHTTP
import BurrowPodman

/// Against a running `burrow serve` whose agent is `sh -c`: launches that append one line to one file
/// and exit. Prints, per launch, POST → first agent event and last agent event → `end` (the work
/// home), in ms.
enum RepoScaleBench {
    /// `BURROW_BENCH_AGENT_SECONDS`: how long the agent works between its first and last line (a real
    /// agent's turn lasts seconds; 0 exits at once).
    static var task: String {
        let seconds = Double(FileSystem.environment("BURROW_BENCH_AGENT_SECONDS") ?? "") ?? 0
        return "echo '{\"type\":\"system\",\"subtype\":\"init\",\"session_id\":\"bench\"}'; "
            + (seconds > 0 ? "sleep \(seconds); " : "") + "echo 'one more line' >> README.md; "
            + "echo '{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false,\"result\":\"done\",\"session_id\":\"bench\"}'"
    }

    static func run(port: UInt16, token: String, repo: String, runs: Int) async throws {
        for _ in 0..<runs {
            let started = Monotonic.now()
            let id = try await launch(port: port, token: token, repo: repo)
            let stream = try await LifecycleBench.open(port: port, token: token, id: id)
            defer { stream.close() }
            var text = ""
            var firstAgent: UInt64?
            var lastAgent: UInt64?
            var ended: UInt64?
            var scanned = text.startIndex
            while ended == nil, let piece = try await stream.next() {
                let now = Monotonic.now()
                text += String(decoding: piece, as: UTF8.self)
                // Only the events this piece completed.
                let fresh = text[scanned...]
                if fresh.contains("event: agent\n") {
                    firstAgent = firstAgent ?? now
                    lastAgent = now
                }
                if fresh.contains("event: end\n") { ended = now }
                scanned = text.endIndex
            }
            guard let firstAgent, let lastAgent, let ended else { throw BenchFailure(reason: "burrow \(id) ended without agent output") }
            guard text.contains("\"branch\":\"burrow\\/\(id)\"") || text.contains("\"branch\":\"burrow/\(id)\"") else {
                throw BenchFailure(reason: "burrow \(id) brought no branch home: \(text.suffix(600))")
            }
            Console.out("first=\(String(format3: Double(firstAgent - started) / 1e6)) home=\(String(format3: Double(ended - lastAgent) / 1e6)) end=\(wayHome(text))")
        }
    }

    /// The end event's record's `wayHome` (where the turn's end went) as exit:280,closing:0,… (ms).
    static func wayHome(_ text: String) -> String {
        guard let end = text.range(of: "event: end\ndata: ", options: .backwards),
              let record = try? JSONCoding.decoder.decode(BurrowRecord.self, from: Data(text[end.upperBound...].prefix { $0 != "\n" }.utf8)) else { return "" }
        return (record.wayHome ?? []).map { "\($0.phase):\(Int($0.ms.rounded()))" }.joined(separator: ",")
    }

    static func launch(port: UInt16, token: String, repo: String) async throws -> String {
        struct Launch: Encodable { let repo: String; let task: String }
        let body = Array(try JSONCoding.encoder.encode(Launch(repo: repo, task: task)))
        var request = ClientRequest("POST", "/api/burrows", headers: ["Authorization": "Bearer \(token)"], body: .bytes(body, contentType: "application/json"))
        request.host = "127.0.0.1:\(port)"
        let response = try await LifecycleBench.client(port).send(request)
        guard response.status == 201, let range = response.text.firstRange(of: "\"id\":\"") else {
            throw BenchFailure(reason: "launch failed: \(response.status) \(response.text)")
        }
        return String(response.text[range.upperBound...].prefix(12))
    }
}
