import FoundationEssentials
import Glibc
import BurrowSystem
import BurrowHTTP
import BurrowKit

/// `burrow run|ls|logs|stop|teardown|open`: each one request (or stream) to the running server,
/// the answer printed for a terminal (made safe: records hold the agent's words) or, with `--json`,
/// as the server's JSON. Returns the exit status (`ClientExit`).
public enum ClientCommands {
    public static func run(_ invocation: ClientInvocation) async -> Int32 {
        do {
            let target = try ServerTarget.resolve(configPath: invocation.configPath, server: invocation.server)
            let api = BurrowAPIClient(target: target)
            switch invocation.verb {
            case .run: return try await launch(invocation, api: api)
            case .ls: try await list(invocation, api: api)
            case .logs: try await logs(invocation, api: api)
            case .stop:
                let body = try await api.send(.post, "/api/burrows/\(BurrowAPIClient.pathSegment(invocation.id))/stop")
                if invocation.json { printJSON(body) } else {
                    Console.out(summary(try BurrowAPIClient.decode(BurrowRecord.self, body)))
                }
            case .teardown:
                _ = try await api.send(.delete, "/api/burrows/\(BurrowAPIClient.pathSegment(invocation.id))")
                Console.out("torn down \(invocation.id)")
            case .open: try await open(invocation, api: api)
            case .shell, .exec: return try await ShellClient.run(invocation, api: api)
            }
            return ClientExit.ok
        } catch {
            Console.error("burrow \(invocation.verb.rawValue): \(error)")
            return error.exitCode
        }
    }

    static func launch(_ invocation: ClientInvocation, api: BurrowAPIClient) async throws(ClientError) -> Int32 {
        if invocation.attempts > 1 { return try await ClientGroupRun.run(invocation, api: api) }
        struct Launch: Encodable { let repo: String; let task: String }
        let request = (try? JSONCoding.encoder.encode(Launch(repo: invocation.repo, task: invocation.task))).map(Array.init) ?? []
        let body = try await api.send(.post, "/api/burrows", json: request)
        var record = try BurrowAPIClient.decode(BurrowRecord.self, body)
        guard invocation.wait else {
            if invocation.json { printJSON(body) } else { Console.out(summary(record)) }
            return ClientExit.ok
        }
        if !invocation.json { Console.error("launched \(record.id); waiting for it to end") }
        var finalBody = body
        var renderer = EventRenderer(json: invocation.json)
        let follower = EventFollower(api: api, id: record.id)
        var after: Int?
        var idleRounds = 0
        // The stream ends after each turn's `end`; the record says whether the burrow is over (a
        // follow-up turn sent meanwhile continues the stream after the last event seen).
        while true {
            let last = try await follower.follow(after: after) { sequence, kind, data in
                guard invocation.follow, let line = renderer.render(sequence: sequence, kind: kind, data: data) else { return }
                Console.out(line)
            }
            idleRounds = last == after ? idleRounds + 1 : 0
            after = last
            (record, finalBody) = try await api.record(record.id)
            if record.state.isFinal { break }
            if idleRounds >= 3 {
                throw .protocolError("burrow \(record.id) is \(record.state.rawValue) but its event stream keeps ending without news; see `burrow logs \(record.id)`")
            }
        }
        if invocation.json { printJSON(finalBody) } else { Console.out(summary(record)) }
        switch record.state {
        case .succeeded: return ClientExit.ok
        case .stopped: return ClientExit.stopped
        default: return ClientExit.failed
        }
    }

    static func list(_ invocation: ClientInvocation, api: BurrowAPIClient) async throws(ClientError) {
        let body = try await api.send(.get, "/api/burrows")
        if invocation.json { return printJSON(body) }
        let records = try BurrowAPIClient.decode([BurrowRecord].self, body)
        guard !records.isEmpty else { return Console.out("no burrows") }
        Console.out("ID                 STATE      REPO             AGE     TASK")
        let now = Date().timeIntervalSince1970
        for record in records {
            let state = record.tornDown ? "torn-down" : record.state.rawValue
            Console.out("\(pad(record.id, 18)) \(pad(state, 10)) \(pad(TerminalText.oneLine(record.repo, width: 16), 16)) "
                        + "\(pad(age(now - record.createdAt), 7)) \(TerminalText.oneLine(record.title ?? record.task, width: 60))")
        }
    }

    static func logs(_ invocation: ClientInvocation, api: BurrowAPIClient) async throws(ClientError) {
        var renderer = EventRenderer(json: invocation.json)
        let follower = EventFollower(api: api, id: invocation.id)
        let print: (Int?, String, String) -> Void = { sequence, kind, data in
            if let line = renderer.render(sequence: sequence, kind: kind, data: data) { Console.out(line) }
        }
        guard invocation.follow else { return try await follower.history(print) }
        // Until the burrow is over: a stream that ends before (a dropped connection, the server's
        // restart) is opened again after the last event seen, as a browser's EventSource does.
        var after: Int? = nil
        var quietRounds = 0
        while true {
            let last = try await follower.follow(after: after, print)
            quietRounds = last == after ? quietRounds + 1 : 0
            after = last
            let (record, _) = try await api.record(invocation.id)
            if record.state.isFinal { return }
            if quietRounds >= 10 {
                throw .protocolError("burrow \(record.id) is \(record.state.rawValue) but its event stream keeps ending without news; see `burrow logs \(record.id)`")
            }
            try? await Task.sleep(for: .seconds(1))  // back-off before opening it again
        }
    }

    static func open(_ invocation: ClientInvocation, api: BurrowAPIClient) async throws(ClientError) {
        let (record, _) = try await api.record(invocation.id)
        // Without the token: a URL handed to a browser lands in its arguments, which every local user reads.
        let url = "http://\(api.target.host)/#/burrows/\(BurrowAPIClient.pathSegment(record.id))"
        Console.out(url)
        let display = FileSystem.environment("DISPLAY") ?? FileSystem.environment("WAYLAND_DISPLAY")
        if display?.isEmpty == false, isatty(1) != 0, let opener = ["/usr/bin/xdg-open", "/usr/bin/open"].first(where: FileSystem.exists) {
            _ = try? await Subprocess.run([opener, url], timeout: .seconds(10))
        }
    }

    static func summary(_ record: BurrowRecord) -> String {
        var line = "\(record.id) \(record.state.rawValue) (repo \(TerminalText.oneLine(record.repo, width: 60)))"
        if let reason = record.stopReason ?? record.agentError ?? record.error { line += ": " + TerminalText.oneLine(reason, width: 300) }
        if record.state.isFinal, let result = record.result { line += "\nresult: " + TerminalText.safe(result, keepLines: true) }
        return line
    }

    static func printJSON(_ body: [UInt8]) {
        var text = String(decoding: body, as: UTF8.self)
        while text.hasSuffix("\n") { text.removeLast() }
        Console.out(text)
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    static func age(_ seconds: Double) -> String {
        let value = max(0, Int(seconds))
        if value < 60 { return "\(value)s" }
        if value < 3600 { return "\(value / 60)m" }
        if value < 86400 { return "\(value / 3600)h" }
        return "\(value / 86400)d"
    }
}
