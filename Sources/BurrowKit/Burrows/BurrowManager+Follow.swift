import FoundationEssentials
import BurrowSystem
import BurrowPodman

/// Following a running turn: its output into the event log, until it exits.
extension BurrowManager {
    /// Follows a started container into the event log until it exits, then finishes the burrow.
    /// Live lines come from the attach socket, opened before the start (fast, nothing between the
    /// container and the log file on the way). Joining a container already running (Burrow or Podman
    /// restarted) follows Podman's log from its start instead, skipping what the event log holds. The
    /// container's log file is complete, so after the exit the event log is reconciled with it once
    /// more: every line the container printed ends up in the event log exactly once.
    func follow(_ run: BurrowRun, attached: Task<LogStream, any Error>? = nil) async {
        let id = run.id, podman = run.podman
        guard let container = records[id]?.container, let log = try? eventLog(id) else { return }
        watchChanges(run)
        watchDisk()
        var attached = attached
        do {
            var exited = false
            while !exited {
                exited = try await retryingWhilePodmanIsAway(run) {
                    if let pending = attached {
                        attached = nil
                        try await stream(try await pending.value, id: id, log: log, reconciling: false)
                    } else if try await podman.inspectContainer(container).state.running {
                        try await stream(try await podman.logs(container, follow: true), id: id, log: log, reconciling: true)
                    }
                    return try await hasExited(container, podman: podman)
                }
            }
            let exitSeen = Monotonic.now()
            let (exitCode, reason) = try await retryingWhilePodmanIsAway(run) {
                let code = try await podman.wait(container, timeout: PodmanClient.defaultTimeout)
                try await stream(try await podman.logs(container, follow: false), id: id, log: log, reconciling: true, complete: true)
                return (code, try await outsideEnd(container, id: id, exitCode: code, podman: podman))
            }
            await finish(run, exitCode: exitCode, failure: reason, exitSeen: exitSeen)
        } catch where Task.isCancelled {
            // Shutting down: the container runs on and the next start follows it again.
            return
        } catch let error as PodmanError where error.isNotFound {
            await finish(run, exitCode: nil, failure: "the container \(container) was removed outside Burrow; the output up to then is kept, the workspace could not be brought home")
        } catch {
            await finish(run, exitCode: nil, failure: "\(error)")
        }
    }

    /// Why a container ended that Burrow did not end: killed by a signal or for memory.
    func outsideEnd(_ container: String, id: String, exitCode: Int32, podman: PodmanClient) async throws -> String? {
        guard records[id]?.stopRequested != true else { return nil }
        let state = try await podman.inspectContainer(container).state
        if state.oomKilled == true { return "the agent was killed for running out of memory (limits.memory)" }
        if exitCode > 128 { return "the agent ended by signal \(exitCode - 128) (exit code \(exitCode)) that Burrow did not send: killed from outside?" }
        return nil
    }

    /// Runs `body` again each time Podman's service goes away under it, once it answers again.
    func retryingWhilePodmanIsAway<T>(_ run: BurrowRun, _ body: () async throws -> T) async throws -> T {
        while true {
            do {
                return try await body()
            } catch let error as PodmanError where error.isConnectionLoss {
                Console.error("burrow \(run.id): \(error); following again once Podman answers")
                try await waitForPodman(run.runner)
            }
        }
    }

    /// Takes a stream of the container's output into the event log. `reconciling`: the stream starts
    /// at the container's first line, and lines the log already holds are passed over. An unterminated
    /// last line is only taken from the `complete` log: a live stream may have been cut inside it.
    /// Runs off the manager's actor: 32 agents' floods are read side by side, and a record's save or
    /// a launch's step on the actor never holds a line back; only what changes the record goes to it.
    nonisolated func stream(_ output: LogStream, id: String, log: BurrowEvents, reconciling: Bool, complete: Bool = false) async throws {
        defer { output.close() }
        var facts = await streamFacts(id)
        var reconciler = reconciling ? try OutputReconciler(eventsPath: log.path, sequences: facts.first...max(facts.first, await log.lastSequence)) : nil
        var assembler = LineAssembler()
        while let frames = try await output.next() {
            var lines: [LineAssembler.Line] = []
            for frame in frames { lines += assembler.add(frame) }
            try await take(lines, id: id, log: log, reconciler: &reconciler, facts: &facts)
        }
        guard complete else { return }
        try await take(assembler.flush(), id: id, log: log, reconciler: &reconciler, facts: &facts)
        if let unmatched = try reconciler?.unmatchedCount(), unmatched > 0 {
            Console.error("burrow \(id): \(unmatched) recorded lines not found in the container's log")
        }
    }

    /// What a stream of output needs from the record, read once at its start and kept up by it.
    struct StreamFacts: Sendable {
        /// The sequence number where this turn's output starts in the event log.
        let first: Int
        var session: String?
        /// Whether the burrow's first output has been noted and its way-home helper asked for.
        var outputNoted = false
    }

    func streamFacts(_ id: String) -> StreamFacts {
        StreamFacts(first: (records[id]?.turnStart ?? 0) + 1, session: records[id]?.sessionID)
    }

    nonisolated func take(_ lines: [LineAssembler.Line], id: String, log: BurrowEvents, reconciler: inout OutputReconciler?,
                          facts: inout StreamFacts) async throws {
        // Past the cap, lines read again would be dropped and counted again: only their facts count.
        let full = reconciler != nil ? await log.isFull : false
        var events: [(kind: EventKind, data: String)] = []
        var summaries: [AgentOutput.Summary] = []
        for line in lines {
            let summary = line.stream == .stdout ? AgentOutput.parse(line.bytes) : nil
            // A line already in the log still carries facts (session id, cost) the record may have lost.
            // Only the lines that can change the record are kept (`AgentOutput.apply`): most carry none.
            if let summary, summary.type == "system" || summary.type == "result" || (facts.session == nil && summary.sessionID != nil) {
                summaries.append(summary)
                facts.session = facts.session ?? summary.sessionID
            }
            if full { continue }
            if try reconciler?.isRecorded(line) == true { continue }
            let event = OutputEvent(line, summary: summary)
            events.append((event.kind, event.data))
        }
        // The lines reach the log (and its readers) first: the record's save is off their way. The
        // facts are applied to the record as it is then, not to a copy taken before the await.
        if !events.isEmpty { try await log.append(events) }
        if reconciler == nil, !events.isEmpty, !facts.outputNoted { facts.outputNoted = await noteOutput(id) }
        if !summaries.isEmpty { await apply(summaries, to: id) }
    }

    /// The first output of a turn: noted, and the way home's helper asked for. True once both are
    /// done or no longer can be (the helper is only asked for once the run is `running`, which may
    /// come after the first line: the attach is open before the start).
    func noteOutput(_ id: String) async -> Bool {
        await noteAgentFirst(id, "firstEvent")
        prepareHomeHelper(id)
        guard let phase = runs[id]?.phase else { return true }
        // Not `isFull`: past the limit of helpers at once, a later batch asks again once one is free.
        return homeHelpers.isPrepared(id) || (phase != .running && phase != .turnStarting)
    }

    func apply(_ summaries: [AgentOutput.Summary], to id: String) async {
        await note(id) { record in for summary in summaries { AgentOutput.apply(summary, to: &record) } }
    }

    /// Whether the container has exited, given Podman a second: its output ends before Podman
    /// records the exit. Still running after that means the stream broke, not the container.
    func hasExited(_ container: String, podman: PodmanClient) async throws -> Bool {
        if try await !podman.inspectContainer(container).state.running { return true }
        return try await withTimeLimit(.seconds(1)) { _ = try await podman.wait(container) } != nil
    }

    /// Waits until Podman answers again after its service went away.
    func waitForPodman(_ runner: Runner) async throws {
        var backoff = Backoff(initial: .milliseconds(200), maximum: .seconds(5))
        let since = Monotonic.now()
        while true {
            try await backoff.wait()
            if (try? await runner.podman.ping()) != nil { return }
            try runner.checkPatience(since: since)
        }
    }
}
