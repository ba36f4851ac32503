/// The `TREE` extension of a git index (git's "cache tree"): every directory's tree id and how many
/// index entries it holds. With it in the template's index, `git write-tree` at the way home hashes
/// only the trees on the paths the agent changed (git keeps the rest valid as it edits the index);
/// without it, every tree of the repository is rebuilt at every harvest (~70 ms at 30,000 files).
/// Bytes as git writes them: a directory, then its subdirectories ordered by name length, then name.
struct GitCacheTree: Sendable {
    /// Past this many directories the extension is left out (git works without one): what is kept
    /// here while the listing is read stays small.
    static let maxDirectories = 100_000

    /// Index entries under each directory (by path, without a trailing slash); nil once too many.
    private(set) var entriesUnder: [[UInt8]: Int]? = [:]
    private(set) var entries = 0

    /// Counts one index entry (in any order) for each directory above it.
    mutating func count(_ path: [UInt8]) {
        entries += 1
        guard entriesUnder != nil else { return }
        for index in path.indices where path[index] == UInt8(ascii: "/") {
            entriesUnder![Array(path[..<index]), default: 0] += 1
        }
        if entriesUnder!.count > Self.maxDirectories { entriesUnder = nil }
    }

    /// The extension (signature, size, data) from the root tree's id and every other tree of the
    /// commit (`git ls-tree -r -d`: path, raw id); nil when they are not exactly the directories the
    /// entries were counted in (an empty tree, which an index cannot hold), or there were too many.
    func encoded(root: [UInt8], trees: [(path: [UInt8], object: [UInt8])]) -> [UInt8]? {
        guard let entriesUnder, trees.count == entriesUnder.count else { return nil }
        var objects: [[UInt8]: [UInt8]] = [[]: root]
        var children: [[UInt8]: [[UInt8]]] = [:]
        for tree in trees {
            guard entriesUnder[tree.path] != nil, objects.updateValue(tree.object, forKey: tree.path) == nil else { return nil }
            let slash = tree.path.lastIndex(of: UInt8(ascii: "/"))
            children[slash.map { Array(tree.path[..<$0]) } ?? [], default: []].append(Array(tree.path[(slash.map { $0 + 1 } ?? 0)...]))
        }
        var data: [UInt8] = []
        func write(_ path: [UInt8], name: [UInt8]) {
            let below = (children[path] ?? []).sorted { $0.count != $1.count ? $0.count < $1.count : $0.lexicographicallyPrecedes($1) }
            data += name + [0] + Array("\(path.isEmpty ? entries : entriesUnder[path] ?? 0) \(below.count)\n".utf8) + (objects[path] ?? [])
            for child in below { write(path.isEmpty ? child : path + [UInt8(ascii: "/")] + child, name: child) }
        }
        write([], name: [])
        let size = UInt32(data.count)
        return Array("TREE".utf8) + [UInt8(size >> 24), UInt8(truncatingIfNeeded: size >> 16), UInt8(truncatingIfNeeded: size >> 8), UInt8(truncatingIfNeeded: size)] + data
    }
}
