import BurrowSystem
import BurrowPodman

/// Reads a repo's devcontainer from Burrow's bare store of the user's repository, at a pinned commit:
/// the user's own content, never anything a burrow wrote. Blobs are read by object id with
/// `git cat-file` (no filters, no textconv), sizes are checked before anything is read, and a build
/// context leaves the store only as a `git archive` tar.
struct DevcontainerSource {
    let store: String
    let commit: String

    static let maxConfigBytes = 1 << 20
    static let maxContextBytes: Int64 = 1 << 30

    struct Entry {
        let mode: String
        let type: String
        let object: String
        let size: Int64
    }

    init(store: String, commit: String) throws(DevcontainerError) {
        guard ObjectID.isValid(commit) else { throw .git("'\(commit.prefix(80))' is not a commit id") }
        self.store = store
        self.commit = commit
    }

    /// The first of `candidates` the commit has, with its bytes; nil when it has none of them.
    func readConfig(_ candidates: [String]) async throws(DevcontainerError) -> (path: String, bytes: [UInt8])? {
        for candidate in candidates {
            guard let path = RepoPath.normalized(candidate), !path.isEmpty else {
                throw .outsideRepository(file: "the config", key: "devcontainer", path: candidate)
            }
            guard let entry = try await entry(path) else { continue }
            guard entry.type == "blob", entry.mode != "120000" else {
                throw .invalid(file: path, key: "(file)", reason: "is not a regular file in the repo (a \(entry.mode == "120000" ? "symbolic link" : entry.type))")
            }
            if entry.size > Int64(Self.maxConfigBytes) { throw .tooLarge(file: path, bytes: Int(entry.size), limit: Self.maxConfigBytes) }
            let text = try await git(["cat-file", "blob", entry.object]).stdout
            return (path, Array(text.utf8))
        }
        return nil
    }

    /// The tree, blob or link at `path` in the commit; nil when the commit has nothing there.
    /// (`-z`: names as they are, unquoted; an exact match, since ls-tree takes patterns.)
    func entry(_ path: String) async throws(DevcontainerError) -> Entry? {
        let output = try await git(["ls-tree", "-z", "-l", "--full-tree", commit, "--", path]).stdout
        for record in output.split(separator: "\0") {
            let fields = record.split(separator: "\t", maxSplits: 1)
            guard fields.count == 2, fields[1] == path else { continue }
            let head = fields[0].split(separator: " ", omittingEmptySubsequences: true)
            guard head.count == 4, ObjectID.isValid(String(head[2])) else { continue }
            return Entry(mode: String(head[0]), type: String(head[1]), object: String(head[2]), size: Int64(head[3]) ?? 0)
        }
        return nil
    }

    /// The object id of the folder `path` ("" for the root): a content hash of the whole folder.
    func treeID(_ path: String) async throws(DevcontainerError) -> String? {
        if path.isEmpty { return try await objectID(commit + "^{tree}") }
        guard let entry = try await entry(path), entry.type == "tree" else { return nil }
        return entry.object
    }

    /// Bytes of every file under the folder `path`, summed from the tree listing.
    func contentSize(_ path: String) async throws(DevcontainerError) -> Int64 {
        let tree = path.isEmpty ? commit : commit + ":" + path
        let output = try await git(["ls-tree", "-z", "-r", "-l", tree]).stdout
        return output.split(separator: "\0").reduce(Int64(0)) { total, line in
            let head = line.split(separator: "\t", maxSplits: 1)[0].split(separator: " ", omittingEmptySubsequences: true)
            return total + (head.count == 4 ? Int64(head[3]) ?? 0 : 0)
        }
    }

    /// Writes the folder `path` at the commit as a tar to `output`, plus `extraFile` (a host file put at
    /// the tar's root under its own name) when given.
    func archive(_ path: String, to output: String, extraFile: String? = nil) async throws(DevcontainerError) {
        let tree = path.isEmpty ? commit + "^{tree}" : commit + ":" + path
        let extra = extraFile.map { ["--add-file=" + $0] } ?? []
        try await git(["archive", "--format=tar", "--output=" + output] + extra + [tree])
    }

    func blob(_ object: String, limit: Int) async throws(DevcontainerError) -> String {
        let text = try await git(["cat-file", "blob", object]).stdout
        guard text.utf8.count <= limit else { throw .tooLarge(file: object, bytes: text.utf8.count, limit: limit) }
        return text
    }

    private func objectID(_ revision: String) async throws(DevcontainerError) -> String {
        let id = try await git(["rev-parse", "--verify", "--quiet", revision]).stdout.filter { !$0.isWhitespace }
        guard ObjectID.isValid(id) else { throw .git("'\(revision)' does not name an object") }
        return id
    }

    @discardableResult
    private func git(_ arguments: [String]) async throws(DevcontainerError) -> Subprocess.Result {
        do {
            return try await HostGit.source(store, arguments)
        } catch let failure as Subprocess.Failure {
            throw .git(failure.description)
        } catch {
            throw .git("\(error)")
        }
    }
}
