import FoundationEssentials
import BurrowSystem
import BurrowHTTP
import BurrowPodman
import BurrowKit

/// `POST /hooks/{name}`: a webhook delivery (GitHub's shape) that launches a burrow from the named
/// trigger. Outside `/api/`, so it needs no token: the body's HMAC-SHA256 under the trigger's secret
/// (`X-Hub-Signature-256: sha256=<hex>`) is what admits it. A bad or missing signature and a replayed
/// delivery id are refused and logged; the payload fills the task template and nothing else.
extension Router {
    public struct Trigger: Sendable {
        let config: TriggerConfig
        let secret: [UInt8]
    }

    /// Reads every trigger's secret now, so a missing one stops start-up instead of refusing deliveries.
    public static func loadTriggers(_ config: Config) throws -> [Trigger] {
        guard !config.triggers.isEmpty else { return [] }
        try HMACSHA256.available.get()
        return try config.triggers.enumerated().map { index, trigger in
            Trigger(config: trigger, secret: Array(try Credential.load(trigger.secret, field: "triggers[\(index)].secret").value.utf8))
        }
    }

    public mutating func addTriggers(_ triggers: [Trigger], manager: BurrowManager, log: @escaping @Sendable (String) -> Void = { Console.out($0) }) {
        let byName = Dictionary(uniqueKeysWithValues: triggers.map { ($0.config.name, $0) })
        let deliveries = RecentDeliveries()
        let refusals = RefusalLog(log: log)
        post("/hooks/{name}", maxBodyBytes: 1 << 20) { request in
            let name = request.parameter("name") ?? ""
            guard let trigger = byName[name] else { throw HTTPError(.notFound, "no trigger named '\(Self.printable(name))'") }
            let delivery = Self.printable(request.headers["X-GitHub-Delivery"] ?? "")
            let signature = Array((request.headers["X-Hub-Signature-256"] ?? "").lowercased().utf8)
            let expected = Array(("sha256=" + HMACSHA256.hex(try HMACSHA256.authenticate(request.body, key: trigger.secret))).utf8)
            guard HMACSHA256.constantTimeEqual(signature, expected) else {
                refusals.note("trigger \(name): refused a delivery with \(signature.isEmpty ? "no" : "a wrong") X-Hub-Signature-256 (delivery '\(delivery)', \(request.body.count) bytes)")
                throw HTTPError(.unauthorized, "bad signature", detail: "sign the body with the trigger's secret: X-Hub-Signature-256: sha256=<HMAC-SHA256 hex>")
            }
            if !delivery.isEmpty, !deliveries.insert(name + "/" + delivery) {
                refusals.note("trigger \(name): refused delivery '\(delivery)' again (a replay)")
                throw HTTPError(.conflict, "delivery \(delivery) was already received")
            }
            let event = Self.printable(request.headers["X-GitHub-Event"] ?? "")
            if event == "ping" { return .json(["pong": true]) }
            if let events = trigger.config.events, !events.contains(event) {
                return .json(["ignored": "event '\(event)' is not in this trigger's events"], status: .accepted)
            }
            let payload: JSONValue
            do { payload = try JSONCoding.decoder.decode(JSONValue.self, from: Data(request.body)) } catch {
                throw HTTPError(.badRequest, "the payload is not JSON", detail: "send Content-Type: application/json deliveries")
            }
            let task = TaskTemplate.render(trigger.config.task, payload: payload)
            let record = try await manager.launch(repo: trigger.config.repo, task: task, gpu: nil, budget: trigger.config.budget,
                                                  base: nil, uncommitted: false, title: nil, runner: nil)
            log("trigger \(name): launched \(record.id) (delivery '\(delivery)', event '\(event)')")
            return .json(["id": record.id, "state": record.state.rawValue], status: .created)
        }
    }

    /// A header value for a log line: letters, digits and `-._` only, at most 80.
    static func printable(_ text: String) -> String {
        String(text.unicodeScalars.filter { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-._".unicodeScalars.contains($0)) }
            .prefix(80).map(Character.init))
    }
}

/// The last 1,000 delivery ids accepted: a captured delivery sent again is refused, in bounded memory.
final class RecentDeliveries: Sendable {
    private let state = Locked<(order: [String], seen: Set<String>)>(([], []))

    /// False when `id` was already seen.
    func insert(_ id: String) -> Bool {
        state.withLock { state in
            guard state.seen.insert(id).inserted else { return false }
            state.order.append(id)
            if state.order.count > 1000 { state.seen.remove(state.order.removeFirst()) }
            return true
        }
    }
}

/// Refusals are logged, but a flood of forged deliveries must not grow `serve`'s log without end:
/// at most 20 lines a minute, then one line counting those left out.
final class RefusalLog: Sendable {
    private let log: @Sendable (String) -> Void
    private let state = Locked<(windowStart: UInt64, logged: Int, skipped: Int)>((0, 0, 0))
    static let perMinute = 20

    init(log: @escaping @Sendable (String) -> Void) { self.log = log }

    func note(_ line: String, now: UInt64 = Monotonic.now()) {
        let (write, skipped) = state.withLock { state -> (Bool, Int) in
            var skipped = 0
            if now &- state.windowStart >= 60_000_000_000 {
                skipped = state.skipped
                state = (now, 0, 0)
            }
            guard state.logged < Self.perMinute else {
                state.skipped += 1
                return (false, skipped)
            }
            state.logged += 1
            return (true, skipped)
        }
        if skipped > 0 { log("triggers: \(skipped) more refused deliveries in the last minute were not logged") }
        if write { log(line) }
    }
}
