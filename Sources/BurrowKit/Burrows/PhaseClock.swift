import BurrowSystem

/// Times a run of steps, each from the end of the one before: a turn's way home (`record.wayHome`),
/// so that a person sees where the end of a turn went, as `startup` shows its start.
struct PhaseClock: Sendable {
    private(set) var phases: [StartupPhase] = []
    private var last: UInt64

    init(since: UInt64 = Monotonic.now()) { last = since }

    /// The step that ended now.
    mutating func mark(_ phase: String) {
        let now = Monotonic.now()
        phases.append(StartupPhase(phase, ms: Double(now - last) / 1e6))
        last = now
    }

    /// Steps timed elsewhere that together ended now.
    mutating func add(_ steps: [StartupPhase]) {
        phases += steps
        last = Monotonic.now()
    }
}
