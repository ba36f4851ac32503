import FoundationEssentials
import BurrowSystem
import BurrowPodman

/// Follow-up messages: each a new turn in a fresh container on the same workspace.
extension BurrowManager {
    /// A follow-up message: a new turn resuming the agent's session. While a turn runs it waits in
    /// `queuedMessages`; after (or during) teardown there is nothing to continue.
    public func sendMessage(_ id: String, text: String, budget: Budget? = nil) async throws -> BurrowRecord {
        var record = try record(id)
        try Self.checkPrompt(text, "message")
        try checkFollowUp(record)
        // A raised budget counts at once, also for a turn still running.
        try record.applyFollowUp(budget: groupCapped(record, budget))
        let raised = record.budget
        record = try mutate(id) { $0.budget = raised }
        runs[id]?.egress?.proxy.model?.budget.raise(to: raised)
        if !record.state.isFinal || !record.queuedMessages.isEmpty {
            return try await update(id) { $0.queuedMessages.append(text) }
        }
        guard record.sessionID != nil else {
            throw BurrowError.conflict("burrow \(id) has no agent session to resume", detail: "the agent never reported a session_id (system/init)")
        }
        try await beginTurn(id, message: text)
        return records[id] ?? record
    }

    struct TurnEvent: Encodable { let turn: Int; let text: String }

    /// Claims the next turn at once (so a second message queues behind it), marks the user's message
    /// in the event stream, then queues the turn to run.
    func beginTurn(_ id: String, message: String) async throws {
        let claimed = try mutate(id) { record in
            record.turn += 1
            record.message = message
            record.container = record.containerName(turn: record.turn)
            record.exitCode = nil
            record.error = nil
            record.stopRequested = false
            record.stopReason = nil
            record.state = .queued
        }
        let log = try eventLog(id)
        await log.reopen()
        let turnEvent = try await log.append(kind: .turn, data: Self.json(TurnEvent(turn: claimed.turn, text: message)))
        try await update(id) { $0.turnStart = turnEvent }
        queue.append(id)
        schedule()
    }
}
