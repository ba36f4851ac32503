import BurrowSystem
import BurrowPodman

/// Keeps the next id range ready for a repo (`sandbox.prepareNextRange`). A burrow's files are its
/// own range's, so a range new to a repo needs the repo's template chowned for it, and the image
/// too (Podman's copy): O(repository) and O(image), paid by the first burrow to start there. After a
/// burrow of a repo enters its range, the range the repo's next burrow would get is made ready in the
/// background, and that burrow starts over its template at once.
extension BurrowManager {
    /// What a burrow that entered its range asks for: the range after it made ready, for its repo,
    /// base, agent and image, once its turn has ended or `prepareAfter` has passed.
    struct RangeRequest: Sendable {
        let id: String
        let repo: RepoConfig
        let base: RepoStore.Base
        let user: AgentIdentity
        let image: String
    }

    /// How long a range's preparation waits for the turn that asked for it to end, in ns: the
    /// template's writes then do not slow a short turn's start and its way home.
    static let prepareAfter: UInt64 = 15_000_000_000

    func prepareNextRange(_ request: RangeRequest) {
        guard config.sandbox.preparesNextRange else { return }
        let name = request.repo.name
        rangeRequests[name] = request  // the latest wins; one under way takes it before it ends
        guard preparingRanges[name] == nil else { return }
        // Owned by `preparingRanges` until it ends (it takes itself out); shutdown cancels and awaits it,
        // and every wait in it ends at cancellation (builds it started go on, owned by the templates).
        preparingRanges[name] = Task {
            do {
                var made: Set<Int> = []  // never the same range twice
                while let request = self.rangeRequests.removeValue(forKey: name) {
                    let deadline = Monotonic.now() + Self.prepareAfter
                    while self.records[request.id]?.state.isFinal == false, Monotonic.now() < deadline {
                        let seen = self.lifeChanged.generation
                        let now = Monotonic.now()
                        try await self.lifeChanged.wait(past: seen, for: .nanoseconds(Int64(deadline > now ? deadline - now : 0)))
                    }
                    // Again while a burrow took the range just made ready meanwhile (launches at once).
                    while let index = try await self.prepareNext(request), made.insert(index).inserted {}
                }
            } catch is CancellationError {
            } catch {
                Console.error("preparing the next id range for \(name): \(error) (its next burrow fills its workspace instead)")
            }
            self.preparingRanges[name] = nil
            self.rangeRequests[name] = nil
        }
    }

    /// Waits until no range is being made ready (then nothing of it can still add an image).
    func settleRangePreparations() async {
        while let running = preparingRanges.values.first { await running.value }
    }

    /// Makes ready the range the repo's next burrow would get, unless it is ready; returns the range made.
    private func prepareNext(_ request: RangeRequest) async throws -> Int? {
        let templates = crossing.templates, repo = request.repo
        // The template the launch itself may be building goes first: they share the disk.
        try await templates.waitForBuilds(repo)
        guard let ranges = knownIDRanges else { return nil }
        // Only a free range that is not ready yet (when every range is held, `choose` names a held one).
        let choice = try await chooseRange(for: repo, except: "", ranges: ranges)
        guard let next = choice.slot, !choice.held.contains(where: next.overlaps), !choice.ready.contains(next.index) else { return nil }
        // Never started and removed at once; one a crash left behind is an orphan (no record owns it) for gc.
        let labels = try instanceLabels(["io.burrow.id": "range-\(next.index)"])
        let instance = labels[BurrowLabels.instance].map { String($0.prefix(8)) + "-" } ?? ""
        for (role, image) in [("image", request.image), ("helper", try await HelperImage.ensure(podman))] {
            try await HelperContainer(podman: podman, image: image, name: "burrow-range-\(next.index)-\(role)-\(instance)\(RepoStore.key(repo))",
                                      labels: labels, user: request.user, volumes: [], step: "preparing id range \(next.index)",
                                      idMappings: next.mappings).prepareMapping()
            try Task.checkCancellation()
        }
        let owner = next.outside(request.user)
        await templates.buildInBackground(repo, base: request.base, user: owner, range: next.index)
        try await templates.waitForBuilds(repo, user: owner)
        if let failure = await templates.failure(repo, user: owner) {
            throw CrossingError.unexpected("the workspace template for id range \(next.index) was not made: \(failure)")
        }
        return next.index
    }
}
