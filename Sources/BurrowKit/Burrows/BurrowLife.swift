import BurrowSystem
import BurrowPodman

/// What this process is doing with a burrow now, beside the state its record keeps (podman's
/// `containerstate`: the transitional states are first-class). Every rule about what may happen to a
/// burrow at the same time is decided in this file.
///
/// A transitional state is taken *before* the first `await` of the work it guards and given back
/// when that work ends (moby's `SetRemovalInProgress`): whoever comes second sees the claim, never a
/// half-done change.
enum BurrowLife: Sendable, Equatable {
    /// Nothing under way here: queued, finished, or waiting to be followed.
    case idle
    /// A run holds a slot and prepares the turn (the record goes `queued` → `preparing`).
    case turnStarting
    /// The turn's container runs; its run follows it.
    case running
    /// A stop was asked for during the turn: the run ends it.
    case stopping
    /// The turn's work comes home; then the run ends.
    case finishing
    /// `teardown` removes its containers and volumes (and first, perhaps, its branch).
    case tearingDown
    /// Its branch is being pushed or deleted, or its pull request opened.
    case pushing
}

/// Work that excludes a new turn and other such work on the same burrow.
enum BurrowClaim: Sendable, Equatable {
    case tearingDown
    case pushing
}

/// One burrow's turn in this process and everything that lives as long as it: the runner it was
/// given (its Podman and its crossing, passed to every step rather than looked up), its phase and
/// its egress proxy. Held in `runs`, one per burrow; its task is a child of the `RunSupervisor`.
struct BurrowRun: Sendable {
    let id: String
    /// Tells this run from a later one of the same burrow.
    let token: Int
    let runner: Runner
    let crossing: Crossing
    var phase: BurrowLife = .turnStarting
    var egress: EgressRun?
    /// Past `claimIDs`: others that share its range wait for it (one still claiming waits itself).
    var holdsRange = false

    /// Whether a burrow sharing this run's range must wait for it to end.
    var occupiesRange: Bool { holdsRange || phase != .turnStarting }

    var podman: PodmanClient { runner.podman }
}

/// A run's egress proxy and the task that serves it, stopped and awaited together.
struct EgressRun: Sendable {
    let proxy: EgressProxy
    let serving: Task<Void, Never>
    var audit: BurrowAudit? = nil

    func stop() async {
        proxy.shutdown()
        // Held requests are denied now, and the page's ask cards close.
        await proxy.asks?.close("the burrow's turn ended before anyone answered")
        await serving.value
        await audit?.close()
    }
}

extension BurrowManager {
    func life(_ id: String) -> BurrowLife {
        switch claims[id] {
        case .tearingDown?: .tearingDown
        case .pushing?: .pushing
        case nil: runs[id]?.phase ?? .idle
        }
    }

    /// Takes `claim` on burrow `id`, or says what holds it. Synchronous: call it before any `await`.
    func claim(_ claim: BurrowClaim, _ id: String) throws(BurrowError) {
        switch claims[id] {
        case .tearingDown?: throw .conflict("burrow \(id) is being torn down")
        case .pushing?: throw .conflict("burrow \(id)'s branch is already being pushed or deleted")
        case nil: claims[id] = claim
        }
    }

    /// Gives a claim back; a follow-up that waited for it may start now.
    func release(_ id: String) {
        claims[id] = nil
        schedule()
    }

    /// A follow-up message is refused once the burrow is torn down or while it is being torn down.
    func checkFollowUp(_ record: BurrowRecord) throws(BurrowError) {
        if record.tornDown || claims[record.id] == .tearingDown {
            throw .conflict("burrow \(record.id) was torn down", detail: "its workspace and the agent's session are gone; launch a new burrow")
        }
    }

    /// A queued turn may start on `id`: no run holds it (a follow-up queued by a turn that is still
    /// finishing waits for that run's end) and nothing has claimed it.
    func mayStartTurn(_ id: String) -> Bool { runs[id] == nil && claims[id] == nil }

    /// The run of `id` moves on to `phase` (nothing happens when it has no run).
    func enter(_ phase: BurrowLife, _ id: String) {
        if runs[id] != nil { runs[id]?.phase = phase }
        noteForeground()
    }

    /// Starts burrow `id`'s run on its runner: `body` runs as a child of the supervisor, and when it
    /// returns (or is cancelled) the run ends and its slot goes to the queue. False once shutting down.
    @discardableResult
    func startRun(_ id: String, _ phase: BurrowLife, _ body: @escaping @Sendable (isolated BurrowManager, BurrowRun) async -> Void) -> Bool {
        guard !shuttingDown, runs[id] == nil else { return false }
        let runner = runner(for: id) ?? runners[0]
        runTokens += 1
        let run = BurrowRun(id: id, token: runTokens, runner: runner, crossing: runner.crossing ?? crossing, phase: phase)
        runs[id] = run
        noteForeground()
        // Both steps on the actor with no suspension between the body's last step and the run's end.
        let started = supervisor.start { [self] in await conduct(run, body) }
        if !started { runs[id] = nil }
        noteForeground()
        return started
    }

    private func conduct(_ run: BurrowRun, _ body: @Sendable (isolated BurrowManager, BurrowRun) async -> Void) async {
        await body(self, run)
        await runEnded(run)
    }

    /// A run is over: its proxy (still open when shutdown cancelled it) is stopped and awaited, and
    /// its slot goes to the next in the queue, unless shutting down.
    private func runEnded(_ run: BurrowRun) async {
        guard runs[run.id]?.token == run.token, let ended = runs.removeValue(forKey: run.id) else { return }
        noteForeground()
        lifeChanged.wake()
        schedule()
        await ended.egress?.stop()
    }

    /// Closes the door (no run starts from here on, queued burrows stay queued for the next start),
    /// then ends every run (followers and preparations; containers keep running and are followed
    /// again by the next start), the range preparations, the watchers and the runners' connections.
    public func shutdown() async {
        await endRuns()
        await watchers.stopAll()
        await previewHub.stopAll()
        await diskWatch.stop()
        await vault?.stop()
        for log in logs.values { await log.close() }
        await shutdownRunners()
    }

    /// The first half of `shutdown`: the door closes and every run, range preparation and way-home
    /// helper's start has ended when it returns, so nothing of this process makes containers or
    /// volumes any more (tests call it before removing what their burrows made: a preparation still
    /// running would make them again).
    func endRuns() async {
        shuttingDown = true
        await supervisor.shutdown()
        // A run offered just before the door closed never started: nothing of it is left but its entry.
        for run in runs.values { await run.egress?.stop() }
        runs.removeAll()
        await endAllAsks()
        let preparations = Array(preparingRanges.values)
        for task in preparations { task.cancel() }
        for task in preparations { await task.value }
        await homeHelpers.stopAll()
    }

    /// Runs still live in this process (tests: none after shutdown).
    var liveRunCount: Int { runs.count }
}
