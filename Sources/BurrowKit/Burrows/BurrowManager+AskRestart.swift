import BurrowSystem

extension BurrowManager {
    /// At start: the asks an earlier process left waiting held requests that went with it. Each is
    /// closed (`decision: "restart"`, so its card goes) and denied in the net events and the audit.
    func denyAsksLeftWaiting(_ record: BurrowRecord) async {
        guard let waiting = record.asks?.waiting, !waiting.isEmpty else { return }
        let id = record.id
        let audit = try? BurrowAudit(path: auditPath(id), limit: Int(config.limits.eventLogBytes))
        for ask in waiting {
            var closed = ask
            closed.decision = "restart"
            if let log = try? eventLog(id) { _ = try? await log.append(kind: .ask, data: Self.json(closed)) }
            var event = NetEvent(phase: .denied, host: ask.host, port: ask.port, allowed: false, method: ask.method, path: ask.path)
            event.reason = "Burrow stopped while a person was asked (ask \(ask.id)); the request it held was cut off"
            event.decidedBy = "policy"
            await audit?.record(event)
            await recordNet(event, id: id)
        }
        await audit?.close()
        _ = try? mutate(id) { $0.asks?.waiting = [] }
    }
}
