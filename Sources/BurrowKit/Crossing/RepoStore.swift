import BurrowSystem
import BurrowPodman

/// Burrow's own bare copy of each configured repository (`<stateDir>/repos/<key>.git`), fed only from
/// the user's repository or remote, never from a burrow. The first launch of a repo clones it (locally
/// with hard links); later ones fetch only what changed. Each launch pins its base commit under
/// `refs/burrow/base/<commit>`, so bundles can name it while other launches fetch.
actor RepoStore {
    let directory: String

    init(directory: String) throws {
        self.directory = directory
        try FileSystem.createDirectories(directory, mode: 0o700)
    }

    struct Base: Sendable {
        let commit: String
        /// The branch the workspace is on: the configured ref, or the source's current branch.
        let branch: String
    }

    /// A short, stable, path-safe name for a repo: its name and a fingerprint of where it comes from.
    nonisolated static func key(_ repo: RepoConfig) -> String {
        var hash = FNV1a()
        hash.add(repo.source)
        let name = String(repo.name.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }.prefix(32))
        return name + "-" + String(hash.hex.prefix(10))
    }

    nonisolated func gitDirectory(_ repo: RepoConfig) -> String { directory + "/" + Self.key(repo) + ".git" }

    /// Brings the repo's ref (or its HEAD) into the store and returns the commit to launch on;
    /// `ref` and `branch`: a base the user chose at launch instead (see `BaseChoice`).
    func fetch(_ repo: RepoConfig, ref: String? = nil, branch: String? = nil) async throws -> Base {
        let store = gitDirectory(repo)
        do {
            if !FileSystem.exists(store + "/HEAD") { try await create(store, from: repo, ref: ref ?? repo.ref ?? "HEAD") }
            let incoming = "refs/burrow/incoming/\(BurrowRecord.newID())"
            try await HostGit.source(store, ["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", repo.source, "+\(ref ?? repo.ref ?? "HEAD"):\(incoming)"])
            let commit = try HostGit.objectID(try await HostGit.source(store, ["rev-parse", "--verify", "\(incoming)^{commit}"]))
            try await HostGit.source(store, ["update-ref", "refs/burrow/base/\(commit)", commit])
            try await HostGit.source(store, ["update-ref", "-d", incoming])
            if let branch { return Base(commit: commit, branch: branch) }
            return Base(commit: commit, branch: try await branchName(repo))
        } catch let error as Subprocess.Failure {
            throw CrossingError.sourceUnreadable(repo: repo.name, detail: error.description)
        }
    }

    /// `ref`: what the first fetch asks for (a url repo's object format is read from its id).
    private func create(_ store: String, from repo: RepoConfig, ref: String) async throws {
        let partial = store + ".partial-\(BurrowRecord.newID())"
        if repo.path != nil {
            try await HostGit.source(nil, ["clone", "--quiet", "--bare", "--local", "--no-tags", repo.source, partial])
        } else {
            // The remote's object format shows in the length of its ids (git refuses a fetch across
            // formats): the ref's, else any ref's (a commit id, or a remote without HEAD).
            var listed = try await HostGit.source(nil, ["ls-remote", repo.source, ref]).stdout
            if listed.isEmpty { listed = try await HostGit.source(nil, ["ls-remote", repo.source]).stdout }
            let format = listed.split(separator: "\t").first?.utf8.count == 64 ? "sha256" : "sha1"
            try await HostGit.source(nil, ["init", "--quiet", "--bare", "--object-format=\(format)", partial])
        }
        if !FileSystem.move(partial, to: store) { FileSystem.removeTree(partial) }
    }

    private var branches: [String: String] = [:]

    private func branchName(_ repo: RepoConfig) async throws -> String {
        if let ref = repo.ref { return ref.hasPrefix("refs/heads/") ? String(ref.dropFirst(11)) : ref }
        if let known = branches[repo.name] { return known }
        var name = "main"
        if let path = repo.path {
            let result = try await Subprocess.run(["git", "-C", Config.expandHome(path), "symbolic-ref", "--short", "-q", "HEAD"])
            let text = result.stdout.filter { !$0.isWhitespace }
            if result.succeeded, !text.isEmpty { name = text }
        } else if let url = repo.url {
            let result = try await Subprocess.run(["git", "ls-remote", "--symref", url, "HEAD"], environment: ["GIT_TERMINAL_PROMPT": "0"])
            if let line = result.stdout.split(separator: "\n").first(where: { $0.hasPrefix("ref: refs/heads/") }),
               let ref = line.split(separator: "\t").first {
                name = String(ref.dropFirst("ref: refs/heads/".count))
            }
        }
        branches[repo.name] = name
        return name
    }

    /// A bundle of what `base` adds to `known` (nil when the workspace already holds it).
    func bundle(_ repo: RepoConfig, base: String, known: String, into path: String) async throws -> Bool {
        let store = gitDirectory(repo)
        if base == known { return false }
        let ancestor = try await Subprocess.run(["git", "-C", store, "merge-base", "--is-ancestor", base, known])
        if ancestor.succeeded { return false }
        try await HostGit.source(store, ["bundle", "create", "--quiet", path, "refs/burrow/base/\(base)", "^\(known)"])
        return true
    }
}
