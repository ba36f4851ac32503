import BurrowSystem

/// One burrow's ask desk and the task that writes its asks into the burrow's event stream.
struct AskRoom: Sendable {
    let desk: AskDesk
    let publishing: Task<Void, Never>

    func end(_ reason: String) async {
        await desk.end(reason)
        await publishing.value
    }
}

/// `network.unlisted: "ask"`: requests to hosts off a burrow's allowlist wait for a person.
extension BurrowManager {
    /// The burrow's desk, made on its first turn with asking on; nil when it does not ask.
    func askDesk(_ id: String, settings: AskSettings) -> AskDesk? {
        guard settings.asks else { return nil }
        if let room = askRooms[id] { return room.desk }
        let desk = AskDesk(settings: settings, remembering: records[id]?.asks)
        let publishing = Task { [weak self] in
            for await ask in desk.events { await self?.recordAsk(ask, id: id) }
        }
        askRooms[id] = AskRoom(desk: desk, publishing: publishing)
        return desk
    }

    /// Into the burrow's events, and its record's `asks` (so a restart keeps what was allowed).
    private func recordAsk(_ ask: Ask, id: String) async {
        if let log = try? eventLog(id) { _ = try? await log.append(kind: .ask, data: Self.json(ask)) }
        _ = try? mutate(id) { record in
            var memory = record.asks ?? AskMemory()
            memory.note(ask)
            record.asks = memory
        }
    }

    /// The allowlist of a launch of `repo`: the global one, the repo's, and what a person kept for it.
    func allowlist(repo: RepoConfig) -> [String] {
        config.network.allow + (repo.allow ?? []) + alwaysAllowed.targets(repo: repo.name)
    }

    /// The rules of a launch of `repo` (narrowed already): the global ones, the repo's, and the
    /// requests a person kept for it.
    func networkRules(repo: RepoConfig) throws(ConfigError) -> NetworkRules {
        try NetworkRules([config.network.rules, repo.rules ?? [:]]).keeping(alwaysAllowed.requests(repo: repo.name))
    }

    /// "Always for this repo": a host ask keeps its host:port, a request ask its method, host:port and path.
    private func keepForRepo(_ ask: Ask, askID: String, repo: String) throws {
        var entry = AskDesk.target(ask.host, ask.port)
        if ask.scope == "request" {
            let path = String((ask.path ?? "/").prefix { $0 != "?" })
            guard let request = RepoAllowances.request(method: ask.method, host: ask.host, port: ask.port, path: path) else {
                throw BurrowError.conflict("ask \(askID)'s path is too long to keep for the repo (\(RepoAllowances.maxPathBytes) bytes at most)",
                                           detail: "answer \"burrow\", or add \"\(ask.method) /path-glob\" to the repo's rules[\"\(ask.host)\"]")
            }
            entry = request
        }
        guard try alwaysAllowed.add(repo: repo, target: entry) else {
            throw BurrowError.conflict("repo \(repo) keeps \(RepoAllowances.maxPerRepo) entries already",
                                       detail: "remove some (the page's \"Allowed for good\", or DELETE /api/repos/\(repo)/allowed?entry=…) or list them in its config")
        }
    }

    public func asks(_ id: String) throws(BurrowError) -> AskDeskView {
        _ = try record(id)
        guard let room = askRooms[id] else { return AskDeskView(desk: nil) }
        return AskDeskView(desk: room.desk)
    }

    /// A person's answer to ask `askID` of burrow `id`; `repo` keeps the host for the repo first.
    public func answerAsk(_ id: String, askID: String, answer: AskAnswer) async throws -> Ask {
        let record = try record(id)
        guard let desk = askRooms[id]?.desk, let ask = await desk.ask(askID) else {
            throw BurrowError.conflict("ask \(askID) of burrow \(id) is not waiting", detail: "it was answered, timed out, or the burrow's turn ended")
        }
        if answer == .repo {
            try keepForRepo(ask, askID: askID, repo: record.repo)
        }
        guard let answered = await desk.answer(askID, answer) else {
            throw BurrowError.conflict("ask \(askID) of burrow \(id) is not waiting", detail: "it timed out or the burrow's turn ended while you answered")
        }
        return answered
    }

    /// At teardown: its asks are denied and its publishing ends.
    func endAsks(_ id: String, _ reason: String) async {
        guard let room = askRooms.removeValue(forKey: id) else { return }
        await room.end(reason)
    }

    func endAllAsks() async {
        let rooms = askRooms
        askRooms.removeAll()
        for room in rooms.values { await room.end("Burrow is shutting down") }
    }
}

/// What `GET /api/burrows/{id}/asks` answers.
public struct AskDeskView: Sendable {
    let desk: AskDesk?

    public func listed() async -> AskList {
        guard let desk else { return AskList(asking: false, seconds: nil, asks: [], allowedForBurrow: [], requestsAllowedForBurrow: []) }
        return AskList(asking: true, seconds: desk.settings.seconds, asks: await desk.asks, allowedForBurrow: await desk.allowedTargets,
                       requestsAllowedForBurrow: await desk.allowedRequestKeys)
    }
}

public struct AskList: Codable, Sendable {
    public let asking: Bool
    public let seconds: Int?
    public let asks: [Ask]
    public let allowedForBurrow: [String]
    /// "METHOD host:port path" allowed for this burrow by answers to request asks.
    public let requestsAllowedForBurrow: [String]
}
