import BurrowSystem
import BurrowPodman

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
