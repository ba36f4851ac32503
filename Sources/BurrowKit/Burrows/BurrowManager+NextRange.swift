import BurrowSystem
import BurrowHTTP
import BurrowPodman

/// Keeps the next id range ready for a repo (`sandbox.prepareNextRange`). A burrow's files are its
/// own range's, so a range new to a repo needs the repo's template chowned for it, and the image
/// too (Podman's copy): O(repository) and O(image), paid by the first burrow to start there. After a
/// burrow of a repo enters its range, the range the repo's next burrow would get is made ready in the
/// background, and that burrow starts over its template at once.
extension BurrowManager {
    /// Starts once `id`'s turn has ended or `startAfter` has passed, whichever is first: the
    /// template's writes then do not slow a short turn's start and its way home.
    func prepareNextRange(after id: String, repo: RepoConfig, base: RepoStore.Base, user: AgentIdentity, image: String) {
        guard config.sandbox.preparesNextRange else { return }
        guard preparingRanges[repo.name] == nil else {
            rangesWanted.insert(repo.name)  // the one under way looks again before it ends
            return
        }
        // Owned by `preparingRanges` until it ends (it takes itself out); shutdown cancels and awaits it.
        preparingRanges[repo.name] = Task {
            do {
                let waited = Monotonic.now()
                while self.records[id]?.state.isFinal == false, Monotonic.now() - waited < Self.prepareAfter {
                    try await Task.sleep(for: .milliseconds(500))
                }
                // Again while a burrow took the range just made ready meanwhile (two launches at once);
                // never the same range twice.
                var made: Set<Int> = []
                repeat {
                    while let index = try await self.prepareNext(repo: repo, base: base, user: user, image: image), made.insert(index).inserted {}
                } while self.rangesWanted.remove(repo.name) != nil
            } catch {
                Console.error("preparing the next id range for \(repo.name): \(error) (its next burrow fills its workspace instead)")
            }
            self.preparedNextRange(repo.name)
        }
    }

    /// How long a range's preparation waits for the turn that asked for it to end, in ns.
    static let prepareAfter: UInt64 = 15_000_000_000

    /// Waits until no range is being made ready (then nothing of it can still add an image).
    func settleRangePreparations() async {
        while let running = preparingRanges.values.first { await running.value }
    }

    private func preparedNextRange(_ repo: String) {
        preparingRanges[repo] = nil
        rangesWanted.remove(repo)
    }

    /// Makes ready the range the repo's next burrow would get, unless it is ready; returns the range made.
    private func prepareNext(repo: RepoConfig, base: RepoStore.Base, user: AgentIdentity, image: String) async throws -> Int? {
        let templates = crossing.templates
        // The template the launch itself is building goes first: they share the disk.
        await templates.settle(repo)
        guard !Task.isCancelled, let ranges = knownIDRanges else { return nil }
        let (held, running) = try await heldRanges(except: "")
        let taken = held + claimedRanges(except: "")
        let prepared = templates.preparedRanges(repo, size: ranges.size)
        guard let next = ranges.choose(held: taken, running: running, prepared: prepared.mine, preparedForOthers: prepared.others),
              !taken.contains(where: next.overlaps), !prepared.mine.contains(next.index) else { return nil }
        // Never started and removed at once; one a crash left behind is an orphan (no record owns it) for gc.
        let labels = try instanceLabels(["io.burrow.id": "range-\(next.index)"])
        for (role, image) in [("image", image), ("helper", try await HelperImage.ensure(podman))] {
            let name = "burrow-range-\(next.index)-\(role)-\(RepoStore.key(repo))"
            try await HelperContainer(podman: podman, image: image, name: name, labels: labels, user: user, volumes: [],
                                      step: "preparing id range \(next.index)", idMappings: next.mappings).prepareMapping()
            try Task.checkCancellation()
        }
        _ = try await templates.build(repo, base: base, user: next.outside(user))
        return next.index
    }
}
