/// The host side of a burrow's repository: cloned on the host (the host's git credentials never enter
/// the container), shipped in as a tar, and brought home afterwards as a branch and a patch.
public enum Workspace {
    static let identity = ["-c", "user.name=Burrow", "-c", "user.email=burrow@localhost"]

    public struct Prepared: Sendable {
        public let directory: String
        public let tarPath: String
        public let baseCommit: String
    }

    /// `git clone` of the repo at its ref into a temporary directory, packed as a tar for `/workspace`.
    public static func prepare(_ repo: RepoConfig, agentUID: Int = 1000) async throws -> Prepared {
        let directory = try FileSystem.makeTemporaryDirectory("burrow-clone")
        let clone = directory + "/repo"
        var command = ["git", "clone", "--quiet", "--no-hardlinks"]
        if let ref = repo.ref { command += ["--branch", ref] }
        try await Subprocess.check(command + [repo.source, clone])
        // The container should not learn host paths or remotes; the result comes home by fetch.
        _ = try await Subprocess.run(["git", "-C", clone, "remote", "remove", "origin"])
        let base = try await objectID(["git", "-C", clone, "rev-parse", "HEAD"])
        let tarPath = directory + "/workspace.tar"
        try await Subprocess.check(["tar", "-C", clone, "-cf", tarPath, "--numeric-owner", "--owner=\(agentUID)", "--group=\(agentUID)", "."])
        return Prepared(directory: directory, tarPath: tarPath, baseCommit: base)
    }

    public struct Harvest: Sendable {
        public let patchPath: String
        public let branch: String?
        public let head: String
    }

    /// Unpacks the container's `/workspace` tar and commits what the agent left uncommitted on top of
    /// what it committed. The result lives in the burrow's own bare repository (`resultRepo`): after
    /// the first turn its head is that commit; each later turn adds one commit holding that turn's
    /// tree on top of the previous head, so the branch only ever moves forward. Writes the patch from
    /// the base commit and (for a local repo) fetches the head into the host repo as `burrow/<id>`,
    /// never touching its working tree or current branch.
    public static func harvest(tarPath: String, id: String, baseCommit: String, repo: RepoConfig, patchPath: String,
                               resultRepo: String, previousHead: String?, turn: Int) async throws -> Harvest {
        let directory = try FileSystem.makeTemporaryDirectory("burrow-harvest")
        defer { FileSystem.removeTree(directory) }
        try await Subprocess.check(["tar", "-C", directory, "--no-same-owner", "--no-same-permissions", "-xf", tarPath])
        let work = FileSystem.exists(directory + "/workspace/.git") ? directory + "/workspace" : directory
        let git = ["git", "-C", work] + identity
        try await Subprocess.check(git + ["add", "-A"])
        let status = try await Subprocess.check(git + ["status", "--porcelain"]).stdout
        if !status.isEmpty {
            try await Subprocess.check(git + ["commit", "--quiet", "--no-verify", "-m", "burrow \(id): work left uncommitted by the agent"])
        }
        let turnHead = try await objectID(git + ["rev-parse", "HEAD"])
        if !FileSystem.exists(resultRepo + "/HEAD") {
            try await Subprocess.check(["git", "init", "--quiet", "--bare", resultRepo])
        }
        let result = ["git", "-C", resultRepo] + identity
        try await Subprocess.check(result + ["fetch", "--quiet", "--no-tags", work, "+\(turnHead):refs/turns/\(turn)"])
        var head = turnHead
        if let previousHead {
            let tree = try await objectID(result + ["rev-parse", "\(turnHead)^{tree}"])
            let previousTree = try await objectID(result + ["rev-parse", "\(previousHead)^{tree}"])
            head = previousHead
            if tree != previousTree {
                head = try await objectID(result + ["commit-tree", tree, "-p", previousHead, "-m", "burrow \(id): turn \(turn)"])
            }
        }
        try await Subprocess.check(result + ["update-ref", "refs/heads/result", head])
        let diff = try await Subprocess.check(result + ["diff", "--binary", baseCommit, head]).stdout
        try FileSystem.writeAtomically(Array(diff.utf8), to: patchPath, mode: 0o600)
        var branch: String?
        if let path = repo.path {
            let name = "burrow/\(id)"
            try await Subprocess.check(["git", "-C", Config.expandHome(path), "fetch", "--quiet", "--no-tags", resultRepo, "+\(head):refs/heads/\(name)"])
            branch = name
        }
        return Harvest(patchPath: patchPath, branch: branch, head: head)
    }

    /// Runs a git command that prints one object id, and returns it.
    private static func objectID(_ arguments: [String]) async throws -> String {
        try await Subprocess.check(arguments).stdout.filter { !$0.isWhitespace }
    }
}
