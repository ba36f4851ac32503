import BurrowSystem
import BurrowHTTP
import BurrowPodman

/// Keeps the next id range ready for a repo (`sandbox.prepareNextRange`). A burrow's files are its
/// own range's, so a range new to a repo needs the repo's template chowned for it, and the image
/// too (Podman's copy): O(repository) and O(image), paid by the first burrow to start there. After a
/// burrow of a repo enters its range, the range the repo's next burrow would get is made ready in the
/// background, and that burrow starts over its template at once.
extension BurrowManager {
    func prepareNextRange(repo: RepoConfig, base: RepoStore.Base, user: AgentIdentity, image: String) {
        guard config.sandbox.preparesNextRange, preparingRanges[repo.name] == nil else { return }
        // Owned by `preparingRanges` until it ends (it takes itself out); shutdown cancels and awaits it.
        preparingRanges[repo.name] = Task {
            do {
                try await self.prepareNext(repo: repo, base: base, user: user, image: image)
            } catch {
                Console.error("preparing the next id range for \(repo.name): \(error) (its next burrow fills its workspace instead)")
            }
            self.preparedNextRange(repo.name)
        }
    }

    /// Waits until no range is being made ready (then nothing of it can still add an image).
    func settleRangePreparations() async {
        while let running = preparingRanges.values.first { await running.value }
    }

    private func preparedNextRange(_ repo: String) { preparingRanges[repo] = nil }

    private func prepareNext(repo: RepoConfig, base: RepoStore.Base, user: AgentIdentity, image: String) async throws {
        let templates = crossing.templates
        // The template the launch itself is building goes first: they share the disk.
        await templates.settle(repo)
        guard !Task.isCancelled, let ranges = knownIDRanges else { return }
        let (held, running) = try await heldRanges(except: "")
        let taken = held + claimedRanges(except: "")
        let prepared = templates.preparedRanges(repo, size: ranges.size)
        guard let next = ranges.choose(held: taken, running: running, prepared: prepared.mine, preparedForOthers: prepared.others),
              !taken.contains(where: next.overlaps), !prepared.mine.contains(next.index) else { return }
        let labels = try instanceLabels()
        for (role, image) in [("image", image), ("helper", try await HelperImage.ensure(podman))] {
            let name = "burrow-range-\(next.index)-\(role)-\(RepoStore.key(repo))"
            try await HelperContainer(podman: podman, image: image, name: name, labels: labels, user: user, volumes: [],
                                      step: "preparing id range \(next.index)", idMappings: next.mappings).prepareMapping()
            try Task.checkCancellation()
        }
        _ = try await templates.build(repo, base: base, user: next.outside(user))
    }
}
