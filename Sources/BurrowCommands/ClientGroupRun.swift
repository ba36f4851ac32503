import FoundationEssentials
import BurrowSystem
import BurrowKit

/// `burrow run REPO TASK --attempts N`: a best-of-N group. With `--wait` or `--follow` it waits until
/// every attempt is over (and its check has run), printing each attempt's changes of state with
/// `--follow`; the exit status is 0 when at least one attempt succeeded with its check passing (or
/// with no check), 3 when all were stopped, 1 otherwise.
enum ClientGroupRun {
    struct Launch: Encodable { let repo: String; let task: String; let attempts: Int }

    /// The fields of `GET /api/groups/{id}` the command line reads.
    struct Group: Decodable {
        struct Attempt: Decodable {
            let id: String
            let attempt: Int
            let state: BurrowRecord.State
            let check: CheckRun?
            let costUSD: Double?
            let error: String?
        }
        let id: String
        let attempts: [Attempt]
    }

    static func run(_ invocation: ClientInvocation, api: BurrowAPIClient) async throws(ClientError) -> Int32 {
        let request = (try? JSONCoding.encoder.encode(Launch(repo: invocation.repo, task: invocation.task, attempts: invocation.attempts)))
            .map(Array.init) ?? []
        var body = try await api.send(.post, "/api/burrows", json: request)
        var group = try BurrowAPIClient.decode(Group.self, body)
        guard invocation.wait || invocation.follow else {
            if invocation.json { ClientCommands.printJSON(body) } else { Console.out(summary(group)) }
            return ClientExit.ok
        }
        if !invocation.json { Console.error("launched group \(group.id) (\(group.attempts.count) attempts); waiting for them to end") }
        var shown: [String: String] = [:]
        while true {
            for attempt in group.attempts where invocation.follow && !invocation.json {
                let line = line(attempt)
                if shown[attempt.id] != line { Console.out(line) }
                shown[attempt.id] = line
            }
            if group.attempts.allSatisfy(isOver) { break }
            try? await Task.sleep(for: .seconds(1))  // a client's poll of the group, as the page's list does on reconnect
            body = try await api.send(.get, "/api/groups/\(BurrowAPIClient.pathSegment(group.id))")
            group = try BurrowAPIClient.decode(Group.self, body)
        }
        if invocation.json { ClientCommands.printJSON(body) } else { Console.out(summary(group)) }
        if group.attempts.contains(where: { $0.state == .succeeded && ($0.check == nil || $0.check?.status == .passed) }) { return ClientExit.ok }
        return group.attempts.allSatisfy { $0.state == .stopped } ? ClientExit.stopped : ClientExit.failed
    }

    static func isOver(_ attempt: Group.Attempt) -> Bool { attempt.state.isFinal && attempt.check?.status != .running }

    static func line(_ attempt: Group.Attempt) -> String {
        var text = "attempt \(attempt.attempt) \(attempt.id) \(attempt.state.rawValue)"
        if let check = attempt.check { text += ", check \(check.status.rawValue)" }
        if let cost = attempt.costUSD, cost > 0 { text += ", " + dollars(cost) }
        if let error = attempt.error, attempt.state == .failed { text += ": " + TerminalText.oneLine(error, width: 200) }
        return text
    }

    /// "$0.0123": four decimals, as the page shows costs.
    static func dollars(_ usd: Double) -> String {
        let units = Int((usd * 10_000).rounded())
        let fraction = String(units % 10_000)
        return "$\(units / 10_000)." + String(repeating: "0", count: 4 - fraction.count) + fraction
    }

    static func summary(_ group: Group) -> String {
        (["group \(group.id)"] + group.attempts.map(line)).joined(separator: "\n")
    }
}
