import FoundationEssentials
import BurrowSystem

/// One step of a burrow's start (`BurrowRecord.startup`). Burrow's own steps, in order — `queued`
/// (launch to its turn's start), `idRange`, `workspace` (the repo crossing in), `container` (create,
/// attach, start) — each with its duration; then the agent's own, counted from its container's
/// start: `firstEvent` (its first line) and `firstModelByte` (the model endpoint's first answer byte).
public struct StartupPhase: Codable, Sendable, Equatable {
    public var phase: String
    public var ms: Double

    public init(_ phase: String, ms: Double) {
        self.phase = phase
        self.ms = (ms * 10).rounded() / 10
    }
}

extension BurrowManager {
    /// A step of the first turn's start that ran from `since` (monotonic) until now. Saved with the
    /// turn's next `update`, which publishes it.
    func noteStartup(_ id: String, _ phase: String, since: UInt64) async {
        await noteStartup(id, phase, ms: Double(Monotonic.now() - since) / 1e6)
    }

    /// Told to the list stream at once, so "Preparing" on the page can say which step it is at.
    func noteStartup(_ id: String, _ phase: String, ms: Double) async {
        guard records[id]?.turn == 1 else { return }
        await note(id) { $0.startup = ($0.startup ?? []).filter { $0.phase != phase } + [StartupPhase(phase, ms: ms)] }
    }

    /// The agent's first `phase` (once, first turn only), at wall-clock `at`, from its container's start.
    func noteAgentFirst(_ id: String, _ phase: String, at: Double = Date().timeIntervalSince1970) async {
        guard let record = records[id], record.turn == 1, let started = record.startedAt,
              record.startup?.contains(where: { $0.phase == phase }) != true else { return }
        await note(id) { $0.startup = ($0.startup ?? []) + [StartupPhase(phase, ms: max(0, at - started) * 1000)] }
    }

    /// A model answer's first byte, from the call's report (sent once the answer ended).
    func noteModelFirstByte(_ event: NetEvent, id: String) async {
        guard event.phase == .model, let firstByte = event.firstByteMs, let duration = event.durationMs else { return }
        await noteAgentFirst(id, "firstModelByte", at: Date().timeIntervalSince1970 - max(0, duration - firstByte) / 1000)
    }
}
