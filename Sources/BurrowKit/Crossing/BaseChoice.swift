import BurrowSystem
import BurrowHTTP
import BurrowPodman

/// What a burrow starts from when the user chooses at launch: a branch, tag or commit of the source
/// repo, and optionally the user's uncommitted changes. Everything here reads the user's repository
/// (trusted: nothing from a burrow), resolved at launch so a branch that moves later does not move
/// the burrow.
public struct BaseChoice: Codable, Sendable, Equatable {
    /// The name or commit the user typed.
    public var ref: String
    /// The commit it named at launch (path repos; a url repo's name is resolved when it is fetched).
    public var commit: String?

    /// The longest ref accepted; git's own limit is far larger, but a base is typed by hand.
    static let maxLength = 200

    /// A ref as a user types it: a branch, tag or `refs/…` name, or a commit id (7 to 64 hex digits).
    /// Never an option, a revision expression (`~`, `^`, `..`, `@{`) or a refspec (`:`).
    static func check(_ ref: String) throws(BurrowError) {
        let invalid = BurrowError.invalid("'\(ref.prefix(80))' is not a branch, tag or commit",
                                          detail: "write a name such as main or v1.2, or a commit id")
        guard !ref.isEmpty, ref.utf8.count <= maxLength, !ref.hasPrefix("-"), !ref.hasPrefix("/"), !ref.hasSuffix("/"),
              !ref.hasSuffix("."), !ref.hasSuffix(".lock"), !ref.contains(".."), !ref.contains("//"), !ref.contains("@{"),
              ref != "@", !ref.split(separator: "/").contains(where: { $0.hasPrefix(".") }) else { throw invalid }
        let allowed = ref.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && scalar.value > 0x20 && scalar.value != 0x7F && !"~^:?*[\\".unicodeScalars.contains(scalar)
        }
        guard allowed else { throw invalid }
    }

    static func isCommitID(_ ref: String) -> Bool {
        (7...64).contains(ref.utf8.count) && ref.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// Checks `ref` and, for a path repo, resolves it to a commit in the user's repository.
    static func resolve(_ ref: String, repo: RepoConfig) async throws -> BaseChoice {
        try check(ref)
        if let path = repo.path {
            let result = try await Subprocess.run(["git", "-C", Config.expandHome(path), "rev-parse", "--verify", "--quiet", "--end-of-options", "\(ref)^{commit}"],
                                                  environment: ["GIT_TERMINAL_PROMPT": "0"], timeout: .seconds(30))
            let commit = result.stdout.filter { !$0.isWhitespace }
            guard result.succeeded, ObjectID.isValid(commit) else {
                throw BurrowError.invalid("no branch, tag or commit '\(ref)' in \(repo.name)", detail: "it must exist in \(path)")
            }
            return BaseChoice(ref: ref, commit: commit)
        }
        guard !isCommitID(ref) || ObjectID.isValid(ref) else {
            throw BurrowError.invalid("a url repo's base commit must be written in full", detail: "40 or 64 hex digits; or name a branch or tag")
        }
        if !isCommitID(ref) {
            let result = try await Subprocess.run(["git", "ls-remote", "--end-of-options", repo.url ?? "", ref],
                                                  environment: ["GIT_TERMINAL_PROMPT": "0"], timeout: .seconds(60))
            guard result.succeeded, !result.stdout.isEmpty else {
                throw BurrowError.invalid("no branch or tag '\(ref)' in \(repo.name)", detail: result.succeeded ? "not on \(repo.url ?? "")" : String(result.stderr.prefix(300)))
            }
        }
        return BaseChoice(ref: ref, commit: nil)
    }

    /// What the store fetches: the commit when known, else the name.
    var fetchable: String { commit ?? ref }

    /// The branch the workspace is on: the name chosen, or `burrow-base` for a bare commit.
    var branch: String {
        if Self.isCommitID(ref) { return "burrow-base" }
        for prefix in ["refs/heads/", "refs/tags/", "refs/remotes/"] where ref.hasPrefix(prefix) { return String(ref.dropFirst(prefix.count)) }
        return ref
    }
}

/// The user's uncommitted changes to tracked files (`git diff HEAD --binary` of their working tree),
/// kept beside the record and committed on top of the base in Burrow's store: their tree is read,
/// never written.
public struct UncommittedChanges: Codable, Sendable, Equatable {
    public var files: Int
    public var bytes: Int
    /// The commit the diff was taken against (the user's HEAD at launch).
    public var against: String

    static let maxBytes = 50 << 20

    /// Writes the diff to `patchPath`; nil when the working tree has no changes to tracked files.
    static func capture(repo: RepoConfig, into patchPath: String) async throws -> UncommittedChanges? {
        guard let path = repo.path.map(Config.expandHome) else {
            throw BurrowError.invalid("uncommitted changes come only from a local repo", detail: "\(repo.name) is a url repo")
        }
        do {
            let head = try HostGit.objectID(try await HostGit.source(path, ["rev-parse", "--verify", "HEAD^{commit}"]))
            try await HostGit.source(path, ["diff", "--binary", "--no-ext-diff", "--no-textconv", "--no-color", "--full-index",
                                            "--output=\(patchPath)", head])
            let size = FileSystem.status(patchPath)?.size ?? 0
            guard size > 0 else { FileSystem.remove(patchPath); return nil }
            guard size <= maxBytes else {
                FileSystem.remove(patchPath)
                throw BurrowError.invalid("the uncommitted changes in \(repo.name) are over \(maxBytes >> 20) MiB", detail: "commit them, or launch without them")
            }
            let text = try FileSystem.readFile(patchPath)
            let files = String(decoding: text, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true)
                .filter { $0.hasPrefix("diff --git ") }.count
            return UncommittedChanges(files: files, bytes: Int(size), against: head)
        } catch let error as Subprocess.Failure {
            throw BurrowError.invalid("cannot read the uncommitted changes of \(repo.name)", detail: String(error.result.stderr.prefix(300)))
        }
    }

    /// Commits the patch on top of `base` in the store (a private index; no work tree) and pins it.
    static func commit(_ patchPath: String, onto base: String, store: String, repoName: String) async throws -> String {
        let directory = try FileSystem.makeTemporaryDirectory("burrow-uncommitted")
        defer { FileSystem.removeTree(directory) }
        let index = ["GIT_INDEX_FILE": directory + "/index", "GIT_TERMINAL_PROMPT": "0"]
        func git(_ arguments: [String]) async throws -> Subprocess.Result {
            try await Subprocess.check(["git", "-C", store, "-c", "core.hooksPath=/dev/null", "-c", "gc.auto=0",
                                        "-c", "user.name=Burrow", "-c", "user.email=burrow@localhost"] + arguments, environment: index)
        }
        do {
            _ = try await git(["read-tree", base])
            _ = try await git(["apply", "--cached", "--binary", "--whitespace=nowarn", patchPath])
        } catch let error as Subprocess.Failure {
            throw BurrowError.invalid("your uncommitted changes do not apply on the base \(base.prefix(12))",
                                      detail: "they were taken against your HEAD: \(error.result.stderr.split(separator: "\n").prefix(2).joined(separator: " / ").prefix(300))")
        }
        let tree = try HostGit.objectID(try await git(["write-tree"]))
        let commit = try HostGit.objectID(try await git(["commit-tree", tree, "-p", base, "-m", "Uncommitted changes from the working tree of \(repoName)"]))
        _ = try await git(["update-ref", "refs/burrow/base/\(commit)", commit])
        return commit
    }
}
