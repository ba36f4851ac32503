import FoundationEssentials
import BurrowSystem
import BurrowPodman

/// Keeps id ranges ready for a repo (`sandbox.prepareNextRange`). A burrow's files are its own
/// range's, so a range new to a repo needs the repo's template chowned for it, and the image too
/// (Podman's copy): O(repository) and O(image), paid by the first burrow to start there. After a
/// burrow of a repo enters its range, free ranges are made ready in the background, as many as the
/// repo's burrows took ranges in the last `demandWindow` (at least one, at most `sandbox.readyRanges`),
/// each step once no burrow has been starting or coming home for a while (`ForegroundGate`): the
/// repo's next burrows start over a template at once, and the work does not slow a burrow a person waits for.
extension BurrowManager {
    /// What a burrow that entered its range asks for: ranges made ready for its repo, base, agent and image.
    struct RangeRequest: Sendable {
        let id: String
        let repo: RepoConfig
        let base: RepoStore.Base
        let user: AgentIdentity
        let image: String
    }

    /// The demand a repo's ready ranges follow: the ranges its burrows took in this many seconds.
    static let demandWindow: Double = 600

    /// How many free ranges to keep ready for `repo`: the distinct ranges its burrows created in the
    /// last `demandWindow` took (a group's attempts share one), at least 1, at most `sandbox.readyRanges`.
    func readyTarget(_ repo: String) -> Int {
        let since = Date().timeIntervalSince1970 - Self.demandWindow
        let taken = Set(records.values.filter { $0.repo == repo && $0.createdAt >= since }.compactMap { $0.ids?.index })
        return min(max(1, taken.count), config.sandbox.resolvedReadyRanges)
    }

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
                    // One range at a time, until the repo's target is ready (burrows launched meanwhile raise it).
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

    /// Makes one more free range ready for the repo, unless its target is ready; returns the range made.
    private func prepareNext(_ request: RangeRequest) async throws -> Int? {
        let templates = crossing.templates, repo = request.repo
        // The template the launch itself may be building goes first: they share the disk.
        try await templates.waitForBuilds(repo)
        try await foreground.waitUntilQuiet(for: Self.quietBeforePreparing)
        guard let ranges = knownIDRanges else { return nil }
        let choice = try await chooseRange(for: repo, except: "", ranges: ranges)
        guard let next = ranges.toPrepare(target: readyTarget(repo.name), held: choice.held, prepared: choice.ready,
                                          preparedForOthers: templates.preparedRanges(repo).others) else { return nil }
        // Never started and removed at once; one a crash left behind is an orphan (no record owns it) for gc.
        let labels = try instanceLabels(["io.burrow.id": "range-\(next.index)"])
        let instance = labels[BurrowLabels.instance].map { String($0.prefix(8)) + "-" } ?? ""
        for (role, image) in [("image", request.image), ("helper", try await HelperImage.ensure(podman))] {
            try await HelperContainer(podman: podman, image: image, name: "burrow-range-\(next.index)-\(role)-\(instance)\(RepoStore.key(repo))",
                                      labels: labels, user: request.user, volumes: [], step: "preparing id range \(next.index)",
                                      idMappings: next.mappings).prepareMapping()
            try Task.checkCancellation()
            try await foreground.waitUntilQuiet(for: Self.quietBeforePreparing)
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
