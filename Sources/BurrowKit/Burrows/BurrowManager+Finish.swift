import FoundationEssentials
import BurrowSystem
import BurrowPodman

/// Finishing a turn: the work comes home, the final state, and the next queued message.
extension BurrowManager {
    /// `exitSeen`: when the agent's output ended (monotonic), where its way home's timeline starts.
    func finish(_ run: BurrowRun, exitCode: Int32?, failure: String?, exitSeen: UInt64? = nil) async {
        let id = run.id
        var clock = PhaseClock(since: exitSeen ?? Monotonic.now())
        if exitSeen != nil { clock.mark("exit") }
        enter(.finishing, id)
        await stopProxy(id)
        await run.runner.remote?.closeEgress(id)
        await watchers.stop(id)
        clock.mark("closing")
        let helperStarted = await homeHelpers.take(id)
        clock.mark("helper")
        guard let record = records[id] else {
            if helperStarted != nil { await removeHomeHelper(run) }  // deleted meanwhile: its helper goes too
            return
        }
        var home: Result<Crossing.Harvest, any Error>?
        if exitCode != nil, let repo = repo(named: record.repo), let base = record.baseCommit, let user = record.user {
            let turn = Homecoming.Turn(id: id, turn: record.turn, base: base, previousHead: record.resultHead)
            do {
                home = .success(try await run.crossing.bringHome(try crossingBurrow(record, user: user), repo: repo, turn: turn,
                                                             request: harvestRequest(record, base: base, repo: repo), folder: folder(id),
                                                             started: helperStarted))
            } catch {
                home = .failure(error)
            }
            if case .success(let harvest) = home { clock.add(harvest.timeline) } else { clock.mark("home") }
        }
        // Used and removed by a way home that succeeded; otherwise it may not have been reached.
        if helperStarted != nil, (try? home?.get()) == nil { await removeHomeHelper(run) }
        var changes: WorkspaceChanges?
        if case .success(let harvest) = home, let base = record.baseCommit {
            changes = await resultChanges(id, base: base, head: harvest.head, previousHead: record.resultHead, turn: record.turn)
            if let changes { await publishChanges(id, changes, updateRecord: false) }
            clock.mark("changes")
        }
        var checked: CheckOutcome?
        if case .success = home, failure == nil, let repo = repo(named: record.repo), records[id]?.stopRequested == false,
           records[id]?.stopReason == nil {
            checked = await runCheck(run, repo: repo)
            if checked != nil { clock.mark("check") }
        }
        let wayHome = clock.phases
        let ended = try? await update(id) { record in
            if let checked {
                record.check = checked.run
                if let retry = checked.retry { record.queuedMessages.insert(retry, at: 0) }
            }
            record.exitCode = exitCode
            // Only a turn whose agent ran to its exit has a way home to show (not a failed launch).
            record.wayHome = exitSeen != nil ? wayHome : nil
            record.finishedAt = Date().timeIntervalSince1970
            if let last = record.turnTimes?.indices.last, record.turnTimes?[last].finishedAt == nil {
                record.turnTimes?[last].finishedAt = record.finishedAt
            }
            if let failure { record.error = failure }
            switch home {
            case .success(let harvest):
                record.branch = harvest.branch ?? record.branch
                record.resultHead = harvest.head
                record.changes = changes?.summary ?? record.changes
                if let agentHead = harvest.agentHead, !(record.agentHeads ?? []).contains(agentHead) {
                    record.agentHeads = (record.agentHeads ?? []) + [agentHead]
                }
                if !harvest.notes.isEmpty { record.homeNotes = (record.homeNotes ?? []) + harvest.notes }
            case .failure(let error):
                record.error = "bringing the work home failed: \(error)"
            case nil:
                break
            }
            record.state = record.stopRequested || record.stopReason != nil ? .stopped
                : (exitCode == 0 && failure == nil && record.agentError == nil ? .succeeded : .failed)
        }
        if let ended, let log = try? eventLog(id) { _ = try? await log.append(kind: .end, data: Self.json(ended)) }
        if let current = records[id], let next = current.queuedMessages.first, !current.stopRequested, current.sessionID != nil {
            _ = try? mutate(id) { $0.queuedMessages.removeFirst() }
            try? await beginTurn(id, message: next)
        }
    }
}
