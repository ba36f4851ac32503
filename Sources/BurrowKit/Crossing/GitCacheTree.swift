/// The `TREE` extension of a git index (git's "cache tree"): every directory's tree id and how many
/// index entries it holds. With it in the template's index, `git write-tree` at the way home hashes
/// only the trees on the paths the agent changed (git keeps the rest valid as it edits the index);
/// without it, every tree of the repository is rebuilt at every harvest (~70 ms at 30,000 files).
/// Bytes as git writes them: a directory, then its subdirectories ordered by name length, then name.
struct GitCacheTree: Sendable {
    /// Past this many bytes of directory paths (or this depth) the extension is left out (git works
    /// without one): what is kept here while the listing is read stays small, whatever the repo holds.
    static let maxPathBytes = 8 << 20
    static let maxDepth = 1024

    /// Index entries under each directory (by path, without a trailing slash); nil once over a limit.
    private(set) var entriesUnder: [[UInt8]: Int]? = [:]
    private(set) var entries = 0
    private var pathBytes = 0
    /// The directories holding the latest entry, outermost first, with the entry count when each opened.
    private var open: [(path: [UInt8], openedAt: Int)] = []

    /// Counts one index entry; entries come in index order (a directory's entries are contiguous),
    /// so each directory's path is made once.
    mutating func count(_ path: [UInt8]) {
        guard entriesUnder != nil else { entries += 1; return }
        while let last = open.last, !Self.isInside(path, last.path) { close() }
        let slashes = path.indices.filter { path[$0] == UInt8(ascii: "/") }
        guard slashes.count <= Self.maxDepth else { entriesUnder = nil; entries += 1; return }
        for slash in slashes.dropFirst(open.count) {
            pathBytes += slash
            open.append((Array(path[..<slash]), entries))
        }
        entries += 1
        if pathBytes > Self.maxPathBytes { entriesUnder = nil }
    }

    private static func isInside(_ path: [UInt8], _ directory: [UInt8]) -> Bool {
        path.count > directory.count && path[directory.count] == UInt8(ascii: "/") && path.starts(with: directory)
    }

    private mutating func close() {
        guard let last = open.popLast() else { return }
        entriesUnder?[last.path] = entries - last.openedAt
    }

    /// The extension (signature, size, data) from the root tree's id and every other tree of the
    /// commit (`git ls-tree -r -d`: path, raw id); nil when they are not exactly the directories the
    /// entries were counted in (an empty tree, which an index cannot hold), or past a limit.
    func encoded(root: [UInt8], trees: [(path: [UInt8], object: [UInt8])]) -> [UInt8]? {
        var counted = self
        while !counted.open.isEmpty { counted.close() }
        guard let entriesUnder = counted.entriesUnder, trees.count == entriesUnder.count else { return nil }
        var objects: [[UInt8]: [UInt8]] = [[]: root]
        var children: [[UInt8]: [[UInt8]]] = [:]
        for tree in trees {
            guard entriesUnder[tree.path] != nil, objects.updateValue(tree.object, forKey: tree.path) == nil else { return nil }
            let slash = tree.path.lastIndex(of: UInt8(ascii: "/"))
            children[slash.map { Array(tree.path[..<$0]) } ?? [], default: []].append(Array(tree.path[(slash.map { $0 + 1 } ?? 0)...]))
        }
        var data: [UInt8] = []
        // Depth first without recursion: (path, name) still to write, the next on top.
        var pending: [([UInt8], [UInt8])] = [([], [])]
        while let (path, name) = pending.popLast() {
            let below = (children[path] ?? []).sorted { $0.count != $1.count ? $0.count < $1.count : $0.lexicographicallyPrecedes($1) }
            data += name + [0] + Array("\(path.isEmpty ? entries : entriesUnder[path] ?? 0) \(below.count)\n".utf8) + (objects[path] ?? [])
            pending += below.reversed().map { (path.isEmpty ? $0 : path + [UInt8(ascii: "/")] + $0, $0) }
        }
        guard let size = UInt32(exactly: data.count) else { return nil }
        var extensionBytes = Array("TREE".utf8)
        GitIndexFile.append32(&extensionBytes, size)
        return extensionBytes + data
    }
}
