import BurrowSystem
import BurrowPodman

/// The host side of the way home. What the harvest helper sends is a bundle (objects and one ref) and
/// a summary; both are hostile. The bundle is fetched, with every object checked, into the burrow's own
/// bare repository (`result.git`, borrowing the store's objects), and everything after — the commit
/// on the base, the turn's commit, the patch, the branch in the user's repo — is computed from
/// Burrow's repositories by hardened git. No work tree from the box ever exists on the host.
enum Homecoming {
    struct Arrival: Sendable {
        let head: String
        let branch: String?
        let notes: [String]
    }

    struct Turn: Sendable {
        let id: String
        let turn: Int
        let base: String
        let previousHead: String?
    }

    static func receive(bundle: String?, head claimed: String, turn: Turn, repo: RepoConfig, store: String,
                        resultRepo: String, patchPath: String) async throws -> Arrival {
        let format = turn.base.utf8.count == 64 ? "sha256" : "sha1"
        try await prepare(resultRepo, borrowing: store, format: format)
        @discardableResult
        func git(_ arguments: [String]) async throws -> Subprocess.Result { try await HostGit.hardened(resultRepo, arguments) }
        let turnRef = "refs/turns/\(turn.turn)"
        var notes: [String] = []
        if let bundle {
            try await checkedIndexPack(bundle, into: resultRepo, ref: turnRef, format: format)
        } else {
            guard (try? await git(["cat-file", "-e", "\(claimed)^{commit}"])) != nil else {
                throw CrossingError.resultRejected("the harvest named commit \(claimed.prefix(12)) without sending it")
            }
            try await git(["update-ref", turnRef, claimed])
        }
        var turnHead = try HostGit.objectID(try await git(["rev-parse", "--verify", "\(turnRef)^{commit}"]))
        if turnHead != turn.base, (try? await git(["merge-base", "--is-ancestor", turn.base, turnHead])) == nil {
            let tree = try HostGit.objectID(try await git(["rev-parse", "\(turnHead)^{tree}"]))
            turnHead = try HostGit.objectID(try await git(["commit-tree", tree, "-p", turn.base, "-m",
                "burrow \(turn.id): the agent's files (its history did not descend from the base \(turn.base.prefix(12)))"]))
            notes.append("the agent's history did not descend from the base \(turn.base.prefix(12)): its files were committed on top of the base")
        }
        var head = turnHead
        if let previous = turn.previousHead {
            let tree = try HostGit.objectID(try await git(["rev-parse", "\(turnHead)^{tree}"]))
            let previousTree = try HostGit.objectID(try await git(["rev-parse", "\(previous)^{tree}"]))
            head = previous
            if tree != previousTree {
                head = try HostGit.objectID(try await git(["commit-tree", tree, "-p", previous, "-m", "burrow \(turn.id): turn \(turn.turn)"]))
            }
        }
        try await git(["update-ref", "refs/heads/result", head])
        // The patch and the branch in the user's repo both only read the result: side by side (a patch
        // that fails still fails the turn, and leaves no partial file; the branch may then be there).
        let partial = patchPath + ".partial", final = head
        async let patch = HostGit.hardened(resultRepo, ["diff", "--binary", "--no-ext-diff", "--no-textconv", "--no-color",
                                                        "--output=\(partial)", turn.base, final])
        var branch: String?
        if let path = repo.path, head != turn.base {
            let name = "burrow/\(turn.id)"
            try await HostGit.source(Config.expandHome(path), ["-c", "fetch.fsckObjects=true", "-c", "protocol.allow=never", "-c", "protocol.file.allow=always",
                                                              "fetch", "--quiet", "--no-tags", "--no-write-fetch-head", resultRepo, "+\(head):refs/heads/\(name)"])
            branch = name
        }
        do {
            _ = try await patch
        } catch {
            FileSystem.remove(partial)
            throw error
        }
        FileSystem.move(partial, to: patchPath)
        return Arrival(head: head, branch: branch, notes: notes)
    }

    /// Takes the bundle's objects into `repository` only after git checked every one of them and that
    /// every object they name is there (`index-pack --strict`, as git's `receive-pack` takes a push;
    /// `--fix-thin` adds the bases its deltas use from the repository): into a quarantine folder
    /// beside the repository's objects, whose pack is moved in only once all passed and the ref names
    /// a commit. Blobs index-pack could not check itself (it names them after the pack: a `.gitmodules`
    /// seen as such only later) take the fetch below, which checks them too. (The fetch for every
    /// bundle walked the trees three times.) Unlike a fetch, the pack may also bring objects the
    /// result does not reach, checked all the same, within the bundle's size limit.
    private static func checkedIndexPack(_ bundle: String, into repository: String, ref: String, format: String) async throws {
        let header = try GitBundleHeader.parse(try FileSystem.readPrefix(bundle, count: GitBundleHeader.maxBytes), format: format)
        let objects = repository + "/objects", incoming = objects + "/incoming-burrow"
        FileSystem.removeTree(incoming)
        defer { FileSystem.removeTree(incoming) }
        try FileSystem.createDirectories(incoming + "/pack", mode: 0o700)
        let quoted = "\"" + objects.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"") + "\""
        let quarantine = ["GIT_OBJECT_DIRECTORY": incoming, "GIT_ALTERNATE_OBJECT_DIRECTORIES": quoted]
        let printed: Subprocess.Result
        do {
            printed = try await HostGit.hardened(repository, ["index-pack", "--strict", "--fix-thin", "--stdin"], environment: quarantine,
                                                 input: bundle, inputOffset: header.packOffset)
        } catch let error as Subprocess.Failure {
            throw refused(error)
        }
        guard printed.stdout.split(separator: "\n").count == 1 else {
            return try await checkedFetch(bundle, into: repository, ref: ref, borrowing: [repository], format: format)
        }
        // The ref must name a commit the checked objects hold, before anything is moved in.
        let kind = try? await HostGit.hardened(repository, ["cat-file", "-t", header.head], environment: quarantine)
        guard kind?.stdout.filter({ !$0.isWhitespace }) == "commit" else {
            throw CrossingError.resultRejected("the harvest's bundle names \(header.head.prefix(12)) as its result, which is not a commit it holds")
        }
        // The index last: a pack is seen once its index is there.
        let made = FileSystem.listDirectory(incoming + "/pack").sorted { !$0.hasSuffix(".idx") && $1.hasSuffix(".idx") }
        for name in made where !name.hasPrefix("tmp_") {
            guard FileSystem.move(incoming + "/pack/" + name, to: objects + "/pack/" + name) else {
                throw CrossingError.unexpected("could not move the checked pack \(name) into \(objects)/pack")
            }
        }
        try await HostGit.hardened(repository, ["update-ref", ref, header.head])
    }

    /// Takes the bundle's objects into `repository` only after git checked every one of them. Git
    /// (before 2.46) does not check objects that arrive from a bundle, but does for a fetch over its
    /// protocol: so the bundle is unpacked into a quarantine first and fetched from there.
    private static func checkedFetch(_ bundle: String, into repository: String, ref: String, borrowing: [String], format: String) async throws {
        let quarantine = try FileSystem.makeTemporaryDirectory("burrow-quarantine") + "/q.git"
        defer { FileSystem.removeTree(String(quarantine.dropLast(5))) }
        do {
            try await HostGit.hardened("/", ["init", "--quiet", "--bare", "--object-format=\(format)", quarantine])
            let alternates = borrowing.map { $0 + "/objects" }.joined(separator: "\n") + "\n"
            try FileSystem.writeAtomically(Array(alternates.utf8), to: quarantine + "/objects/info/alternates", mode: 0o600)
            try await HostGit.hardened(quarantine, ["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", bundle, "+refs/heads/result:refs/heads/result"])
            try await HostGit.hardened(repository, ["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", quarantine, "+refs/heads/result:\(ref)"])
        } catch let error as Subprocess.Failure {
            throw refused(error)
        }
    }

    /// What a refused intake says: git's first lines of complaint.
    private static func refused(_ error: Subprocess.Failure) -> CrossingError {
        .resultRejected("git refused the agent's commits: \(error.result.stderr.split(separator: "\n").prefix(3).joined(separator: " / ").prefix(400))")
    }

    /// The burrow's bare repository, reading the store's objects through `alternates` (so it holds only
    /// what the agent added).
    /// `format`: the store's object format (`sha1`, `sha256`), which the base's id tells.
    private static func prepare(_ resultRepo: String, borrowing store: String, format: String) async throws {
        if !FileSystem.exists(resultRepo + "/HEAD") {
            try await HostGit.hardened("/", ["init", "--quiet", "--bare", "--object-format=\(format)", resultRepo])
        }
        try FileSystem.writeAtomically(Array((store + "/objects\n").utf8), to: resultRepo + "/objects/info/alternates", mode: 0o600)
    }
}
