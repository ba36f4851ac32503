import FoundationEssentials
import BurrowSystem

/// The workspace template as one tar, made straight from the objects of Burrow's store (the user's
/// data only): the commit's files as git stores them (no filters, no line-ending or attribute
/// conversion, so what is on disk is exactly the blobs), and a `.git` holding the store's objects,
/// the branch, Burrow's config and an index that already matches the files. Nothing is checked out
/// on the host: the tree is written once, by Podman, as the image's layer.
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
        let tree = try GitTree(listing: try await HostGit.sourceOutput(store, ["ls-tree", "-r", "-l", "-z", "--full-tree", commit]))
        let printed = try await HostGit.source(store, ["log", "-1", "--no-show-signature", "--format=%ct", commit]).stdout
        guard let commitTime = Int(printed.filter { !$0.isWhitespace }) else { throw CrossingError.unexpected("git printed '\(printed.prefix(80))' for a commit's time") }
        let fileTime = min(commitTime, now - 1)
        var output = TarOutput(sink)
        var directories = DirectoryEntries(owner: owner)
        try await output.entry(Array("./".utf8), type: UInt8(ascii: "5"), mode: 0o755, owner: owner, mtime: fileTime)
        try await writeFiles(tree, mtime: fileTime, into: &output, directories: &directories)
        try await writeGitDirectory(tree, fileTime: fileTime, into: &output, directories: &directories)
        try await output.finish()
    }

    /// The work tree: every blob in path order from one `git cat-file --batch`.
    private func writeFiles(_ tree: GitTree, mtime: Int, into output: inout TarOutput, directories: inout DirectoryEntries) async throws {
        let scratch = try FileSystem.makeTemporaryDirectory("burrow-archive")
        defer { FileSystem.removeTree(scratch) }
        let blobs = tree.entries.filter { $0.kind != .gitlink }
        try FileSystem.writeAtomically(Array(blobs.map { GitTree.hex($0.object) + "\n" }.joined().utf8), to: scratch + "/objects", mode: 0o600)
        try await HostGit.sourceStreaming(store, ["cat-file", "--batch"], input: scratch + "/objects") { socket in
            var reader = StreamReader(socket)
            for entry in tree.entries {
                try await directories.parents(of: entry.path, mtime: mtime, into: &output)
                if entry.kind == .gitlink {
                    try await directories.add(entry.path, mtime: mtime, into: &output)
                    continue
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
    private func writeGitDirectory(_ tree: GitTree, fileTime: Int, into output: inout TarOutput, directories: inout DirectoryEntries) async throws {
        let mtime = now
        for directory in [".git", ".git/refs", ".git/refs/heads", ".git/refs/tags", ".git/objects", ".git/objects/info", ".git/objects/pack"] {
            try await directories.add(Array(directory.utf8), mtime: mtime, into: &output)
        }
        try await output.entry(Array(".git/HEAD".utf8), mode: 0o644, owner: owner, mtime: mtime, data: Array("ref: refs/heads/\(branch)\n".utf8))
        try await output.entry(Array(".git/config".utf8), mode: 0o644, owner: owner, mtime: mtime, data: Array(Self.config.utf8))
        let ref = Array(".git/refs/heads/\(branch)".utf8)
        try await directories.parents(of: ref, mtime: mtime, into: &output)
        try await output.entry(ref, mode: 0o644, owner: owner, mtime: mtime, data: Array("\(commit)\n".utf8))
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
            try await directories.add(Array(".git/objects/\(fanout)".utf8), mtime: mtime, into: &output)
            for name in names {
                try await copy(store + "/objects/\(fanout)/\(name)", as: ".git/objects/\(fanout)/\(name)", mode: 0o444, mtime: mtime, into: &output)
            }
        }
        try await output.entry(Array(".git/index".utf8), mode: 0o644, owner: owner, mtime: mtime, data: GitIndexFile.make(tree.entries, mtime: fileTime))
    }

    /// A file of the store, streamed; it must keep the size it had when listed (git never rewrites one).
    private func copy(_ path: String, as name: String, mode: Int, mtime: Int, into output: inout TarOutput) async throws {
        guard let size = FileSystem.status(path)?.size else { throw CrossingError.unexpected("the store's \(path) vanished while the template was made") }
        try await output.append(TarWriter.entryHeader(name: Array(name.utf8), type: UInt8(ascii: "0"), mode: mode, uid: owner.uid, gid: owner.gid,
                                                      size: size, mtime: mtime))
        var copied = 0
        try await FileSystem.forEachChunk(of: path, size: 1 << 20) { chunk in
            copied += chunk.count
            guard copied <= size else { throw CrossingError.unexpected("the store's \(path) grew while the template was made") }
            try await output.append(chunk)
        }
        guard copied == size else { throw CrossingError.unexpected("the store's \(path) shrank while the template was made") }
        try await output.append(TarWriter.padding(after: size))
    }
}

/// The directories already in the archive, so that each is written once, before what it holds.
struct DirectoryEntries {
    let owner: AgentIdentity
    private var written: Set<[UInt8]> = []

    init(owner: AgentIdentity) { self.owner = owner }

    mutating func parents(of path: [UInt8], mtime: Int, into output: inout TarOutput) async throws {
        guard let slash = path.lastIndex(of: UInt8(ascii: "/")) else { return }
        let parent = Array(path[..<slash])
        if written.contains(parent) { return }
        try await parents(of: parent, mtime: mtime, into: &output)
        try await add(parent, mtime: mtime, into: &output)
    }

    mutating func add(_ path: [UInt8], mtime: Int, into output: inout TarOutput) async throws {
        guard written.insert(path).inserted else { return }
        try await output.entry(path + [UInt8(ascii: "/")], type: UInt8(ascii: "5"), mode: 0o755, owner: owner, mtime: mtime)
    }
}
