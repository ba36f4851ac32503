import BurrowSystem
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
