import BurrowSystem

/// A turn's way-home helper is started while its agent works, waiting with the turn's harvest as its
/// command (`HelperContainer.runStarted`), so that the way home is a signal to it rather than a
/// container's whole life or an `exec`: the agent's exit is when a person waits, and four attempts
/// ending together made Podman start four containers at once.
extension BurrowManager {
    /// Once the agent has printed its first line: the helper starts when no launch is starting its
    /// container (which it would slow), at most once per turn; the turn's end takes it.
    func prepareHomeHelper(_ id: String) {
        guard !homeHelpers.isFull(for: id), let run = runs[id], run.phase == .running, let record = records[id], let user = record.user,
              let base = record.baseCommit, let repo = repo(named: record.repo),
              let burrow = try? crossingBurrow(record, user: user) else { return }
        let launching = self.launching, crossing = run.crossing
        let request = harvestRequest(record, base: base, repo: repo)
        homeHelpers.prepare(id) {
            do {
                try await launching.waitUntilIdle()
            } catch {
                return nil  // the turn ended first: its way home makes its own helper
            }
            // Not cancelled halfway: a helper is either up (and the turn's end uses or removes it) or not made.
            return await withUncancelledTask { try? await crossing.startHomeHelper(burrow, request: request) }
        }
    }

    /// The turn's started helper, removed (uncancelled) when no way home used it.
    func removeHomeHelper(_ run: BurrowRun) async {
        let podman = run.podman, name = Crossing.helperName(run.id, role: "home")
        await withUncancelledTask { try? await podman.remove(name, stopTimeout: 0) }
    }

    /// What the turn's harvest is asked, from its record: the same when its helper starts and at its
    /// end (a helper waiting with other arguments, the config changed meanwhile, is not used).
    func harvestRequest(_ record: BurrowRecord, base: String, repo: RepoConfig) -> Crossing.HarvestRequest {
        Crossing.HarvestRequest(base: base, message: CommitMessage.forTurn(record.message ?? record.task, burrow: record.id),
                                exclude: config.resultExclude(repo), known: record.agentHeads ?? [])
    }
}
