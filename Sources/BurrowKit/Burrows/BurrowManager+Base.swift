import BurrowSystem
import BurrowPodman

/// What a burrow starts from: the repo's ref, or the base the user chose, with their uncommitted
/// changes committed on top in Burrow's store when they asked for them.
extension BurrowManager {
    func uncommittedPatch(_ id: String) -> String { folder(id) + "/uncommitted.patch" }

    func startingPoint(_ run: BurrowRun, repo: RepoConfig) async throws -> RepoStore.Base {
        let id = run.id, crossing = run.crossing
        guard let record = records[id] else { throw BurrowError.notFound(id: id) }
        var base = try await crossing.store.fetch(repo, ref: record.baseRef?.fetchable, branch: record.baseRef?.branch)
        if record.uncommitted != nil {
            let commit = try await UncommittedChanges.commit(uncommittedPatch(id), onto: base.commit, store: crossing.store.gitDirectory(repo),
                                                             repoName: repo.name)
            base = RepoStore.Base(commit: commit, branch: base.branch)
        }
        let branch = base.branch
        try mutate(id) { $0.baseBranch = branch }
        return base
    }
}
