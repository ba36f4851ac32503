import BurrowSystem
import BurrowPodman

/// Where a burrow's branch goes when the user pushes it.
public struct PushTarget: Codable, Sendable, Equatable {
    /// The remote's name in the user's repo, or the url of a url repo.
    public var remote: String
    /// Where git sends it, with any user name or token taken out.
    public var url: String
    public var branch: String
}

/// A push that happened.
public struct PushRecord: Codable, Sendable, Equatable {
    public var remote: String
    public var url: String
    public var branch: String
    public var commit: String
    public var at: Double
    public var pullRequest: String?
}

/// The work's way out, run on the host with the user's own git configuration and credentials (the
/// box never sees them). What is pushed is a commit id Burrow computed into its own result repository
/// (`resultHead`), to `refs/heads/burrow/<id>`, a name Burrow made: no name, ref or message from the box
/// is ever an argument. Hooks never run.
enum BranchPush {
    static let timeout: Duration = .seconds(180)

    static func branchName(_ id: String) -> String { "burrow/\(id)" }

    /// The remote a path repo's branch goes to: the base branch's upstream remote, else `origin`, else
    /// its only remote; a url repo's is its url.
    static func target(repo: RepoConfig, baseBranch: String?, id: String) async throws -> PushTarget {
        let branch = branchName(id)
        guard let path = repo.path.map(Config.expandHome) else {
            return PushTarget(remote: repo.url ?? "", url: redact(repo.url ?? ""), branch: branch)
        }
        let remotes = try await git(path, ["remote"]).stdout.split(separator: "\n").map(String.init)
        var remote: String?
        if let baseBranch, let upstream = try? await git(path, ["config", "--get", "branch.\(baseBranch).remote"]).stdout
            .filter({ !$0.isWhitespace }), remotes.contains(upstream) {
            remote = upstream
        }
        remote = remote ?? (remotes.contains("origin") ? "origin" : remotes.count == 1 ? remotes[0] : nil)
        guard let remote else {
            throw BurrowError.invalid("\(repo.name) has no remote to push to",
                                      detail: remotes.isEmpty ? "add one: git -C \(path) remote add origin URL" : "several remotes and none is origin: \(remotes.joined(separator: ", "))")
        }
        let url = try await git(path, ["remote", "get-url", "--push", remote]).stdout.filter { !$0.isNewline }
        return PushTarget(remote: remote, url: redact(url), branch: branch)
    }

    /// Pushes `commit` to the target's `refs/heads/burrow/<id>`.
    static func push(_ commit: String, to target: PushTarget, repo: RepoConfig, resultRepo: String) async throws {
        guard ObjectID.isValid(commit) else { throw CrossingError.unexpected("'\(commit.prefix(80))' is not a commit id") }
        let refspec = "\(commit):refs/heads/\(target.branch)"
        if let path = repo.path.map(Config.expandHome) {
            // The branch in the user's repo may be gone (deleted from the page): its commits come
            // again from Burrow's result repository, checked.
            if (try? await git(path, ["cat-file", "-e", "\(commit)^{commit}"])) == nil {
                try await git(path, ["-c", "fetch.fsckObjects=true", "-c", "protocol.allow=never", "-c", "protocol.file.allow=always",
                                     "fetch", "--quiet", "--no-tags", "--no-write-fetch-head", resultRepo, commit])
            }
            try await git(path, ["push", "--no-verify", "--quiet", "--", target.remote, refspec], timeout: timeout)
        } else {
            // Burrow's result repository: its config is Burrow's own (made by `git init`); the user's
            // global configuration supplies the credentials for the url.
            try await git(resultRepo, ["push", "--no-verify", "--quiet", "--", target.remote, refspec], timeout: timeout)
        }
    }

    /// Deletes the burrow's branch in the user's repo, only while it still points at `expected` (so
    /// commits the user added to it are never lost) and is not checked out.
    static func deleteBranch(_ branch: String, expected: String, repo: RepoConfig) async throws {
        guard let path = repo.path.map(Config.expandHome) else { return }
        let ref = "refs/heads/\(branch)"
        guard let current = try? HostGit.objectID(try await git(path, ["rev-parse", "--verify", "--quiet", ref])) else { return }
        guard current == expected else {
            throw BurrowError.conflict("\(branch) has moved since Burrow made it", detail: "it is at \(current.prefix(12)), Burrow's result is \(expected.prefix(12)); delete it yourself if you mean to: git branch -D \(branch)")
        }
        try await git(path, ["branch", "--quiet", "-D", branch])
    }

    /// Text with every url's user name and password taken out (tokens often live there).
    static func redact(_ text: String) -> String {
        var output = ""
        var rest = Substring(text)
        while let scheme = rest.firstRange(of: "://") {
            output += rest[..<scheme.upperBound]
            rest = rest[scheme.upperBound...]
            let end = rest.firstIndex { $0 == "/" || $0.isWhitespace || $0 == "'" || $0 == "\"" } ?? rest.endIndex
            if let at = rest[..<end].lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }
        }
        return output + rest
    }

    /// Git on the user's repository with their configuration, without their hooks, never prompting.
    @discardableResult
    private static func git(_ repository: String, _ arguments: [String], timeout: Duration = .seconds(30)) async throws -> Subprocess.Result {
        do {
            return try await Subprocess.check(["git", "-C", repository, "-c", "core.hooksPath=/dev/null", "-c", "gc.auto=0"] + arguments,
                                              environment: ["GIT_TERMINAL_PROMPT": "0"], timeout: timeout)
        } catch let error as Subprocess.Failure {
            let what = arguments.first { !$0.hasPrefix("-") && !$0.contains("=") } ?? "git"
            throw BurrowError.hostGit("git \(what) failed", detail: String(redact(error.result.stderr).split(separator: "\n").joined(separator: " / ").prefix(600)))
        } catch let error as Subprocess.TimedOut {
            throw BurrowError.hostGit("git did not finish", detail: error.description)
        }
    }
}
