import FoundationEssentials
import BurrowSystem
import BurrowPodman

/// The files a burrow changed, kept current while it runs (counted in the sandbox: `Crossing.liveChanges`)
/// and made final from the result when a turn ends. The record carries the summary; the list is a
/// `changes` event in the burrow's stream and `GET /api/burrows/{id}/changes`.
extension BurrowManager {
    /// Counts the workspace every few seconds while the turn runs and the agent is doing something, and
    /// at least every six intervals while it is quiet.
    func watchChanges(_ run: BurrowRun) {
        let id = run.id, watchers = self.watchers
        watchers.start(id) { [weak self] in
            var seen = -1
            var wait = watchers.currentInterval
            var last = ContinuousClock.now
            while !Task.isCancelled {
                try? await Task.sleep(for: wait)
                guard let self, !Task.isCancelled else { return }
                guard let sequence = await self.activeSequence(id) else { return }
                // A quiet agent may still be writing files (a long command): counted now and then too.
                guard sequence != seen || ContinuousClock.now - last > watchers.currentInterval * 6 else { continue }
                let started = ContinuousClock.now
                last = started
                // Not cancelled with the watcher: a helper stopped halfway would be left behind in Podman.
                await withUncancelledTask { await self.refreshLiveChanges(run) }
                // Its own `changes` event is no news: only the agent's output is.
                seen = await self.activeSequence(id) ?? sequence
                wait = max(watchers.currentInterval, (ContinuousClock.now - started) * 3)
            }
        }
    }

    /// The event log's last sequence while the burrow runs; nil once it does not.
    private func activeSequence(_ id: String) async -> Int? {
        guard records[id]?.state == .running, let log = try? eventLog(id) else { return nil }
        return await log.lastSequence
    }

    func refreshLiveChanges(_ run: BurrowRun) async {
        let id = run.id
        guard let record = records[id], record.state == .running, let base = record.baseCommit, let user = record.user else { return }
        var changes: WorkspaceChanges
        do {
            changes = try await run.crossing.liveChanges(try crossingBurrow(record, user: user), base: base)
        } catch {
            changes = WorkspaceChanges(error: "\(error)")
            changes.at = Date().timeIntervalSince1970
        }
        guard records[id]?.state == .running else { return }
        changes.turn = records[id]?.turn ?? 1
        await publishChanges(id, changes)
    }

    /// A finished turn's changes against the base and its own patch, from Burrow's result repository.
    func resultChanges(_ id: String, base: String, head: String, previousHead: String?, turn: Int) async -> WorkspaceChanges? {
        let resultRepo = folder(id) + "/result.git"
        try? await Crossing.writeTurnPatch(resultRepo: resultRepo, from: previousHead ?? base, to: head, path: turnPatchPath(id, turn: turn))
        guard var changes = try? await Crossing.resultChanges(resultRepo: resultRepo, base: base, head: head) else { return nil }
        changes.turn = turn
        return changes
    }

    /// Saves the full list, tells the stream, and puts the summary on the record (only when it changed).
    func publishChanges(_ id: String, _ changes: WorkspaceChanges, updateRecord: Bool = true) async {
        if let previous = try? storedChanges(id), previous.sameChanges(as: changes) { return }
        let data = Self.json(changes)
        try? FileSystem.writeAtomically(Array(data.utf8), to: folder(id) + "/changes.json", mode: 0o600)
        if let log = try? eventLog(id) { _ = try? await log.append(kind: .changes, data: data) }
        if updateRecord { _ = try? await update(id) { $0.changes = changes.summary } }
    }

    /// The latest list (live or final), if any.
    public func storedChanges(_ id: String) throws -> WorkspaceChanges? {
        _ = try record(id)
        let path = folder(id) + "/changes.json"
        guard FileSystem.exists(path) else { return nil }
        return try JSONCoding.decoder.decode(WorkspaceChanges.self, from: Data(try FileSystem.readFile(path)))
    }

    /// Turn `turn`'s own patch: from the previous turn's result (or the base) to this turn's.
    public func turnPatch(_ id: String, turn: Int) throws -> [UInt8]? {
        let single = try record(id).turn == 1
        var path = turnPatchPath(id, turn: turn)
        // A burrow from before per-turn patches: with one turn, the result's patch is that turn's.
        if !FileSystem.exists(path), single, turn == 1 { path = folder(id) + "/result.patch" }
        return FileSystem.exists(path) ? try FileSystem.readFile(path) : nil
    }

    private func turnPatchPath(_ id: String, turn: Int) -> String { folder(id) + "/turn-\(turn).patch" }

    /// Tests: count more often.
    func tuneChangeInterval(_ interval: Duration) { watchers.interval.withLock { $0 = interval } }
}
