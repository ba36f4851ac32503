import FoundationEssentials
import BurrowSystem

/// The workspace template as one tar, made straight from the objects of Burrow's store (the user's
/// data only): the commit's files as git stores them (no filters, no line-ending or attribute
/// conversion, so what is on disk is exactly the blobs), and a `.git` holding the store's objects,
/// the branch, Burrow's config and an index that already matches the files. Nothing is checked out
/// on the host: the tree is written once, by Podman (into a first burrow's volume, or as the image's layer).
struct TemplateArchive: Sendable {
    /// Burrow's bare store of the repo.
    let store: String
    let commit: String
    let branch: String
    let owner: AgentIdentity
    /// When the archive is made: the `.git` files' mtime. The work tree's files get the commit's time,
    /// or a second before this if that is later, so that every file's mtime is older than the index
    /// (none looks racily clean) and than any edit the agent can make (an edit always shows).
    var now = Int(Date().timeIntervalSince1970)
    /// Whether the tar names its root (`./`, the agent's, 0755): an image's layer does; a first
    /// burrow's volume keeps the root the claim helper made writable (Podman 5's copier would apply
    /// the entry to /workspace itself).
    var includesRoot = true

    static let config = """
    [core]
    \trepositoryformatversion = 0
    \tfilemode = true
    \tbare = false
    \tlogallrefupdates = true
    \tcheckStat = minimal
    \ttrustctime = false

    """

    func write(to sink: @escaping @Sendable ([UInt8]) async throws -> Void) async throws {
        try await HostGit.source(nil, ["check-ref-format", "refs/heads/" + branch])
        let printed = try await HostGit.source(store, ["log", "-1", "--no-show-signature", "--format=%ct", commit]).stdout
        guard let commitTime = Int(printed.filter { !$0.isWhitespace }) else { throw CrossingError.unexpected("git printed '\(printed.prefix(80))' for a commit's time") }
        let fileTime = max(0, min(commitTime, now - 1))
        let scratch = try FileSystem.makeTemporaryDirectory("burrow-archive")
        defer { FileSystem.removeTree(scratch) }
        // The listing is read three times (it is the same for a commit) so that nothing here grows
        // with the repository: checked and measured, then the files, then the index. (The directories'
        // tree ids for the index's cache tree are kept, up to GitCacheTree's limit.)
        var survey = try await self.survey(blobsInto: scratch + "/objects")
        let cacheTree = try await cacheTreeExtension(survey.cacheTree)
        survey.indexBytes += cacheTree?.count ?? 0
        var output = TarOutput(sink)
        if includesRoot { try await output.entry(Array("./".utf8), type: UInt8(ascii: "5"), mode: 0o755, owner: owner, mtime: fileTime) }
        try await writeFiles(blobs: scratch + "/objects", mtime: fileTime, into: &output)
        try await writeGitDirectory(survey, cacheTree: cacheTree, fileTime: fileTime, into: &output)
        try await output.finish()
    }

    struct Survey {
        var entries = 0
        var indexBytes = 12 + 20
        var cacheTree = GitCacheTree()
    }

    /// Every entry of the commit, in git's order.
    private func eachEntry(_ body: (GitTree.Entry) async throws -> Void) async throws {
        try await HostGit.sourceStreaming(store, GitTree.listArguments + [commit]) { socket in
            var reader = StreamReader(socket)
            while let record = try await reader.record(endingWith: 0, limit: 1 << 16) { try await body(try GitTree.entry(record)) }
        }
    }

    /// Checks the listing (paths a checkout accepts, in the index's order), sizes the index, and
    /// writes the blobs' ids, one a line, for `git cat-file --batch`.
    private func survey(blobsInto path: String) async throws -> Survey {
        let blobs = try AppendOnlyFile(path: path)
        defer { blobs.close() }
        var survey = Survey()
        var pending: [UInt8] = []
        var previous: [UInt8] = []
        try await eachEntry { entry in
            guard survey.entries == 0 || previous.lexicographicallyPrecedes(entry.path) else {
                throw CrossingError.unexpected("git listed \(String(decoding: entry.path, as: UTF8.self).debugDescription) out of order")
            }
            previous = entry.path
            survey.entries += 1
            survey.indexBytes += GitIndexFile.entrySize(pathLength: entry.path.count)
            survey.cacheTree.count(entry.path)
            guard entry.kind != .gitlink else { return }
            pending += Array((GitTree.hex(entry.object) + "\n").utf8)
            if pending.count >= 1 << 16 {
                try blobs.append(pending)
                pending.removeAll(keepingCapacity: true)
            }
        }
        try blobs.append(pending)
        return survey
    }

    /// The index's `TREE` extension for the commit's trees (nil: the index goes without one).
    private func cacheTreeExtension(_ cacheTree: GitCacheTree) async throws -> [UInt8]? {
        guard cacheTree.entriesUnder != nil else { return nil }
        let printed = try await HostGit.source(store, ["rev-parse", "--verify", commit + "^{tree}"]).stdout
        guard let root = GitTree.rawObjectID(printed.filter { !$0.isWhitespace }) else { throw CrossingError.unexpected("git printed '\(printed.prefix(80))' for a tree") }
        var trees: [(path: [UInt8], object: [UInt8])] = []
        var usable = true, bytes = 0
        try await HostGit.sourceStreaming(store, GitTree.directoryArguments + [commit]) { socket in
            var reader = StreamReader(socket)
            while let record = try await reader.record(endingWith: 0, limit: 1 << 16) {
                guard usable else { continue }
                // A tree no entry of the index lies in (say an empty `.git`) only turns the extension off.
                let listed: (path: [UInt8], object: [UInt8])?
                do { listed = try GitTree.directory(record) } catch { usable = false; continue }
                guard let tree = listed else { continue }
                bytes += tree.path.count
                usable = bytes <= GitCacheTree.maxPathBytes
                trees.append(tree)
            }
        }
        return usable ? cacheTree.encoded(root: root, trees: trees) : nil
    }

    /// The work tree: every blob in git's order from one `git cat-file --batch`.
    private func writeFiles(blobs: String, mtime: Int, into output: inout TarOutput) async throws {
        try await HostGit.sourceStreaming(store, ["cat-file", "--batch"], input: blobs) { socket in
            var reader = StreamReader(socket)
            var directories = DirectoryStack(owner: owner, mtime: mtime)
            try await eachEntry { entry in
                try await directories.open(parentsOf: entry.path, into: &output)
                if entry.kind == .gitlink {
                    try await output.entry(entry.path + [UInt8(ascii: "/")], type: UInt8(ascii: "5"), mode: 0o755, owner: owner, mtime: mtime)
                    return
                }
                guard let header = try await reader.line(), header == Array("\(GitTree.hex(entry.object)) blob \(entry.size)".utf8) else {
                    throw CrossingError.unexpected("git cat-file did not print \(GitTree.hex(entry.object)) as listed")
                }
                if entry.kind == .symlink {
                    var target: [UInt8] = []
                    guard entry.size < 4096 else { throw CrossingError.unexpected("a symlink's target is over 4 KiB: \(String(decoding: entry.path, as: UTF8.self))") }
                    try await reader.forward(entry.size) { target += $0 }
                    try await output.entry(entry.path, type: UInt8(ascii: "2"), mode: 0o777, owner: owner, mtime: mtime, linkName: target)
                } else {
                    let mode = entry.kind == .file(executable: true) ? 0o755 : 0o644
                    try await output.append(TarWriter.entryHeader(name: entry.path, type: UInt8(ascii: "0"), mode: mode, uid: owner.uid,
                                                                  gid: owner.gid, size: entry.size, mtime: mtime))
                    try await reader.forward(entry.size) { try await output.append($0) }
                    try await output.append(TarWriter.padding(after: entry.size))
                }
                guard try await reader.line(limit: 0) == [] else { throw CrossingError.unexpected("git cat-file's output is out of step") }
            }
        }
    }

    /// `.git`: HEAD on the branch at the commit, Burrow's config, the store's objects, the index.
    private func writeGitDirectory(_ survey: Survey, cacheTree: [UInt8]?, fileTime: Int, into output: inout TarOutput) async throws {
        let mtime = now
        func directory(_ path: String) async throws {
            try await output.entry(Array((path + "/").utf8), type: UInt8(ascii: "5"), mode: 0o755, owner: owner, mtime: mtime)
        }
        for path in [".git", ".git/refs", ".git/refs/heads", ".git/refs/tags", ".git/objects", ".git/objects/info", ".git/objects/pack"] {
            try await directory(path)
        }
        try await output.entry(Array(".git/HEAD".utf8), mode: 0o644, owner: owner, mtime: mtime, data: Array("ref: refs/heads/\(branch)\n".utf8))
        try await output.entry(Array(".git/config".utf8), mode: 0o644, owner: owner, mtime: mtime, data: Array(Self.config.utf8))
        let folders = branch.split(separator: "/").dropLast()
        for depth in folders.indices { try await directory(".git/refs/heads/" + folders[...depth].joined(separator: "/")) }
        try await output.entry(Array(".git/refs/heads/\(branch)".utf8), mode: 0o644, owner: owner, mtime: mtime, data: Array("\(commit)\n".utf8))
        if FileSystem.status(store + "/shallow")?.isRegular == true {
            try await copy(store + "/shallow", as: ".git/shallow", mode: 0o644, mtime: mtime, into: &output)
        }
        for name in FileSystem.listDirectory(store + "/objects/pack") where name.hasPrefix("pack-")
            && (name.hasSuffix(".pack") || name.hasSuffix(".idx") || name.hasSuffix(".rev")) {
            try await copy(store + "/objects/pack/" + name, as: ".git/objects/pack/" + name, mode: 0o444, mtime: mtime, into: &output)
        }
        for fanout in FileSystem.listDirectory(store + "/objects") where fanout.utf8.count == 2 && ObjectID.isValid(fanout + String(repeating: "0", count: 38)) {
            let names = FileSystem.listDirectory(store + "/objects/" + fanout).filter { $0.utf8.count == 38 }
            guard !names.isEmpty else { continue }
            try await directory(".git/objects/\(fanout)")
            for name in names {
                try await copy(store + "/objects/\(fanout)/\(name)", as: ".git/objects/\(fanout)/\(name)", mode: 0o444, mtime: mtime, into: &output)
            }
        }
        try await writeIndex(survey, cacheTree: cacheTree, fileTime: fileTime, mtime: mtime, into: &output)
    }

    /// `.git/index`, entry by entry as git lists them, then the trees' extension; its SHA-1 trailer
    /// computed as it goes.
    private func writeIndex(_ survey: Survey, cacheTree: [UInt8]?, fileTime: Int, mtime: Int, into output: inout TarOutput) async throws {
        try await output.append(TarWriter.entryHeader(name: Array(".git/index".utf8), type: UInt8(ascii: "0"), mode: 0o644, uid: owner.uid,
                                                      gid: owner.gid, size: survey.indexBytes, mtime: mtime))
        var hash = SHA1()
        var written = 0, entries = 0
        let header = GitIndexFile.header(count: survey.entries)
        hash.update(header)
        try await output.append(header)
        written += header.count
        try await eachEntry { entry in
            let bytes = GitIndexFile.entry(entry, mtime: fileTime)
            entries += 1
            written += bytes.count
            guard entries <= survey.entries, written + (cacheTree?.count ?? 0) + 20 <= survey.indexBytes else { throw CrossingError.unexpected("git listed the commit differently twice") }
            hash.update(bytes)
            try await output.append(bytes)
        }
        let trees = cacheTree ?? []
        guard entries == survey.entries, written + trees.count + 20 == survey.indexBytes else { throw CrossingError.unexpected("git listed the commit differently twice") }
        hash.update(trees)
        try await output.append(trees)
        try await output.append(hash.finish())
        try await output.append(TarWriter.padding(after: survey.indexBytes))
    }

    /// A file of the store, streamed; it must keep the size it had when listed (git never rewrites one).
    private func copy(_ path: String, as name: String, mode: Int, mtime: Int, into output: inout TarOutput) async throws {
        guard let size = FileSystem.status(path)?.size else { throw CrossingError.unexpected("the store's \(path) vanished while the template was made") }
        try await output.append(TarWriter.entryHeader(name: Array(name.utf8), type: UInt8(ascii: "0"), mode: mode, uid: owner.uid, gid: owner.gid,
                                                      size: size, mtime: mtime))
        var copied = 0
        try await FileSystem.forEachChunk(of: path) { chunk in
            copied += chunk.count
            guard copied <= size else { throw CrossingError.unexpected("the store's \(path) grew while the template was made") }
            try await output.append(chunk)
        }
        guard copied == size else { throw CrossingError.unexpected("the store's \(path) shrank while the template was made") }
        try await output.append(TarWriter.padding(after: size))
    }
}

/// The work tree's directories, each written once before what it holds. Git lists a directory's
/// contents together (every path under `a/` sorts between `a.` and `a0`), so only the directories
/// that hold the latest path are remembered: as many as it is deep.
struct DirectoryStack {
    let owner: AgentIdentity
    let mtime: Int
    private var open: [[UInt8]] = []

    init(owner: AgentIdentity, mtime: Int) {
        self.owner = owner
        self.mtime = mtime
    }

    mutating func open(parentsOf path: [UInt8], into output: inout TarOutput) async throws {
        let parents = path.indices.filter { path[$0] == UInt8(ascii: "/") }.map { Array(path[..<$0]) }
        while let last = open.last, !parents.contains(last) { open.removeLast() }
        for parent in parents.dropFirst(open.count) {
            try await output.entry(parent + [UInt8(ascii: "/")], type: UInt8(ascii: "5"), mode: 0o755, owner: owner, mtime: mtime)
            open.append(parent)
        }
    }
}
