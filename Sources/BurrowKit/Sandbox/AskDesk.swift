import FoundationEssentials
import BurrowSystem

/// One request held while a person is asked about it, as the page and `GET …/asks` see it.
public struct Ask: Codable, Sendable, Equatable {
    public let id: String
    public let host: String
    public let port: UInt16
    /// CONNECT, or a plain HTTP request's method (and its path).
    public let method: String
    public let path: String?
    /// How long it waits in all, and when (Unix time, milliseconds) it is denied unanswered.
    public let seconds: Int
    public let expiresAt: Int
    public var secondsLeft: Int?
    /// "host": the host:port is off the allowlist; "request": a `network.rules` refusal of this
    /// method and path on a host the burrow may reach ("burrow" then allows that method and path only).
    public var scope: String = "host"
    /// Set on the event that closes the ask: once, burrow, repo, deny, timeout, closed, gone, or restart
    /// (it still waited when Burrow stopped: `denyAsksLeftWaiting`).
    public var decision: String?
}

/// What a person may answer.
public enum AskAnswer: String, Codable, Sendable, CaseIterable {
    /// This request (and those coalesced with it) only.
    case once
    /// The host:port joins this burrow's live policy.
    case burrow
    /// As `burrow`, and kept for the repo's later burrows (`RepoAllowances`).
    case repo
    case deny
}

/// How an ask ended for the request that waited.
public enum AskOutcome: Sendable, Equatable {
    case allowed(AskAnswer)
    /// `decidedBy`: "person", "timeout" or "policy" (too many asks, the burrow stopped).
    case denied(decidedBy: String, reason: String)
}

/// One burrow's asks: requests to hosts off its allowlist wait here, at most `settings.seconds`,
/// for a person's answer; whatever happens, each waiting request is resumed exactly once. Asks for
/// the same host:port share one entry; at most `AskSettings.maxPending` wait at once. Lives as long
/// as the burrow in this process: the hosts allowed for the burrow outlast its turns' proxies.
public actor AskDesk {
    public nonisolated let settings: AskSettings
    /// Each ask as it opens, then again with its `decision`, in order; ends with `end()`.
    public nonisolated let events: AsyncStream<Ask>
    private let sink: AsyncStream<Ask>.Continuation
    private var pending: [String: Pending] = [:]
    private var idsByTarget: [String: String] = [:]
    /// host:port a person allowed for this burrow.
    private var allowed = Set<String>()
    /// "METHOD host:port path" a person allowed for this burrow (request asks).
    private var allowedRequests = Set<String>()
    private var closedBecause: String?
    private var nextAsk = 0
    private var nextWaiter = 0

    private struct Pending {
        var ask: Ask
        let key: String
        var waiters: [Int: CheckedContinuation<AskOutcome, Never>] = [:]
        var timer: Task<Void, Never>?
    }

    /// `remembering`: what a person allowed for the burrow before (kept with its record).
    public init(settings: AskSettings, remembering memory: AskMemory? = nil) {
        self.settings = settings
        allowed = Set(memory?.hosts ?? [])
        allowedRequests = Set(memory?.requests ?? [])
        (events, sink) = AsyncStream.makeStream(of: Ask.self, bufferingPolicy: .bufferingNewest(256))
    }

    static func target(_ host: String, _ port: UInt16) -> String { "\(host.lowercased()):\(port)" }

    public func allows(host: String, port: UInt16) -> Bool { allowed.contains(Self.target(host, port)) }

    /// A request's key: its method, host:port and path without the query.
    static func requestKey(_ host: String, _ port: UInt16, _ method: String, _ path: String) -> String {
        "\(method) \(target(host, port)) \(path.prefix { $0 != "?" }.prefix(2048))"
    }

    /// Hosts a person allowed for this burrow (`repo` answers included), as host:port.
    public var allowedTargets: [String] { allowed.sorted() }

    /// Requests (method, host:port, path) a person allowed for this burrow.
    public var allowedRequestKeys: [String] { allowedRequests.sorted() }

    public var asks: [Ask] {
        let now = Self.nowMilliseconds()
        return pending.values.map { entry in
            var ask = entry.ask
            ask.secondsLeft = max(0, (ask.expiresAt - now + 999) / 1000)
            return ask
        }.sorted { $0.expiresAt < $1.expiresAt }
    }

    public func ask(_ id: String) -> Ask? { pending[id]?.ask }

    /// Holds the caller until a person answers, `settings.seconds` pass, the desk closes or the
    /// caller's task is cancelled (its connection went away).
    public func ask(host: String, port: UInt16, method: String, path: String?) async -> AskOutcome {
        if allows(host: host, port: port) { return .allowed(.burrow) }
        return await hold(Self.target(host, port), Ask.draft(host, port, method, path, scope: "host"))
    }

    /// As `ask`, for a request `network.rules` refused on a host the burrow may reach: coalesced by
    /// method, host:port and path; "burrow" allows that method and path, not the host.
    public func askRequest(host: String, port: UInt16, method: String, path: String) async -> AskOutcome {
        let key = Self.requestKey(host, port, method, path)
        if allowedRequests.contains(key) { return .allowed(.burrow) }
        return await hold(key, Ask.draft(host, port, method, path, scope: "request"))
    }

    private func hold(_ key: String, _ draft: Ask) async -> AskOutcome {
        if let closedBecause { return .denied(decidedBy: "policy", reason: closedBecause) }
        let id: String
        if let existing = idsByTarget[key] {
            id = existing
        } else {
            guard pending.count < AskSettings.maxPending else {
                return .denied(decidedBy: "policy", reason: "\(AskSettings.maxPending) asks of this burrow already wait for an answer; \(key) was denied without asking")
            }
            id = open(key, draft)
        }
        nextWaiter += 1
        let waiter = nextWaiter
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                guard !Task.isCancelled, pending[id] != nil else {
                    continuation.resume(returning: .denied(decidedBy: "policy", reason: "the request ended before anyone answered"))
                    return
                }
                pending[id]?.waiters[waiter] = continuation
            }
        } onCancel: {
            Task { await self.leave(id, waiter: waiter) }
        }
    }

    private func open(_ key: String, _ draft: Ask) -> String {
        nextAsk += 1
        let id = "a\(nextAsk)"
        var ask = Ask(id: id, host: draft.host, port: draft.port, method: draft.method, path: draft.path,
                      seconds: settings.seconds, expiresAt: Self.nowMilliseconds() + settings.seconds * 1000)
        ask.scope = draft.scope
        let seconds = settings.seconds
        let timer = Task { [weak self] in
            try? await Task.sleep(for: .seconds(seconds))
            if !Task.isCancelled { await self?.expire(id) }
        }
        pending[id] = Pending(ask: ask, key: key, timer: timer)
        idsByTarget[key] = id
        sink.yield(ask)
        return id
    }

    /// A person's answer; nil when the ask is no longer waiting (answered, timed out, closed).
    @discardableResult
    public func answer(_ id: String, _ answer: AskAnswer) -> Ask? {
        guard let entry = pending[id] else { return nil }
        let ask = entry.ask
        switch answer {
        case .once:
            finish(id, .allowed(.once), decision: "once")
        case .burrow where Self.truncated(ask), .repo where Self.truncated(ask):
            // Its key holds only the path's first 2,048 characters: kept, it would allow every path
            // that starts with them. What the person saw is allowed, once.
            finish(id, .allowed(.once), decision: "once")
        case .burrow, .repo:
            // A request ask allows its method and path; a host ask, the host:port.
            if ask.scope == "request" { allowedRequests.insert(entry.key) } else { allowed.insert(Self.target(ask.host, ask.port)) }
            finish(id, .allowed(answer), decision: answer.rawValue)
        case .deny:
            finish(id, .denied(decidedBy: "person", reason: "a person denied \(entry.key) on Burrow's page"), decision: "deny")
        }
        return ask
    }

    /// A request ask whose path is longer than its key keeps.
    static func truncated(_ ask: Ask) -> Bool { ask.scope == "request" && (ask.path?.count ?? 0) >= 2048 }

    /// Every waiting ask is denied (its turn ended; later turns may ask again).
    public func close(_ reason: String) {
        for id in Array(pending.keys) { finish(id, .denied(decidedBy: "policy", reason: reason), decision: "closed") }
    }

    /// For good (a teardown): every ask denied, later ones too, and `events` ends.
    public func end(_ reason: String) {
        closedBecause = reason
        close(reason)
        sink.finish()
    }

    private func expire(_ id: String) {
        guard let entry = pending[id] else { return }
        let ask = entry.ask, target = Self.target(ask.host, ask.port)
        let reason = ask.scope == "request"
            ? "no one answered in \(ask.seconds) s; to allow it without asking add \"\(ask.method) \(ask.path ?? "/")\" to network.rules[\"\(target)\"] (or the repo's rules)"
            : "no one answered in \(ask.seconds) s; to allow it without asking add \"\(target)\" to network.allow (or the repo's allow), "
            + "or answer \"Always for this repo\" next time"
        finish(id, .denied(decidedBy: "timeout", reason: reason), decision: "timeout")
    }

    /// A waiter whose connection went away; the ask closes with its last waiter.
    private func leave(_ id: String, waiter: Int) {
        guard let continuation = pending[id]?.waiters.removeValue(forKey: waiter) else { return }
        continuation.resume(returning: .denied(decidedBy: "policy", reason: "the request ended before anyone answered"))
        if pending[id]?.waiters.isEmpty == true { finish(id, .denied(decidedBy: "policy", reason: "gone"), decision: "gone") }
    }

    private func finish(_ id: String, _ outcome: AskOutcome, decision: String) {
        guard let entry = pending.removeValue(forKey: id) else { return }
        idsByTarget[entry.key] = nil
        entry.timer?.cancel()
        for continuation in entry.waiters.values { continuation.resume(returning: outcome) }
        var closed = entry.ask
        closed.decision = decision
        sink.yield(closed)
    }

    static func nowMilliseconds() -> Int { Int(Date().timeIntervalSince1970 * 1000) }
}

extension Ask {
    /// The fields a caller knows before the desk gives the ask an id and a deadline.
    static func draft(_ host: String, _ port: UInt16, _ method: String, _ path: String?, scope: String) -> Ask {
        var ask = Ask(id: "", host: host, port: port, method: method, path: path.map { String($0.prefix(2048)) }, seconds: 0, expiresAt: 0)
        ask.scope = scope
        return ask
    }
}
