/// What a burrow's asks leave behind, kept with its record so that a Burrow started again honours
/// it: what a person allowed for the burrow, and the asks that still wait (at a restart they are
/// denied and audited: the requests they held went with the old process).
public struct AskMemory: Codable, Sendable, Equatable {
    /// host:port allowed by "Allow for this burrow" (or "Always for this repo") on a host ask.
    public var hosts: [String] = []
    /// "METHOD host:port path" allowed the same way on a request ask (`AskDesk.requestKey`).
    public var requests: [String] = []
    /// Asks open now (at most `AskSettings.maxPending`).
    public var waiting: [Ask] = []

    public init() {}

    /// Notes an ask's event: an open one waits; a closing one ends its wait and keeps what it allowed.
    mutating func note(_ ask: Ask) {
        guard let decision = ask.decision else {
            if !waiting.contains(where: { $0.id == ask.id }) { waiting = Array((waiting + [ask]).suffix(AskSettings.maxPending)) }
            return
        }
        waiting.removeAll { $0.id == ask.id }
        guard decision == AskAnswer.burrow.rawValue || decision == AskAnswer.repo.rawValue else { return }
        if ask.scope == "request" {
            let key = AskDesk.requestKey(ask.host, ask.port, ask.method, ask.path ?? "/")
            if !requests.contains(key) { requests.append(key) }
        } else {
            let target = AskDesk.target(ask.host, ask.port)
            if !hosts.contains(target) { hosts.append(target) }
        }
    }
}
