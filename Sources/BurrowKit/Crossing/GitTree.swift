/// One commit's files as `git ls-tree -r -l -z` lists them, a record at a time (raw path bytes, never
/// re-encoded). Git lists them in the order a git index keeps them: by path, byte for byte.
enum GitTree {
    struct Entry: Sendable, Equatable {
        enum Kind: Sendable, Equatable {
            case file(executable: Bool)
            case symlink
            /// A submodule: a commit id, checked out as an empty directory.
            case gitlink
        }

        let kind: Kind
        /// The object id as 20 raw bytes (SHA-1 repositories only).
        let object: [UInt8]
        /// The blob's size in bytes (0 for a gitlink).
        let size: Int
        let path: [UInt8]
    }

    static let listArguments = ["ls-tree", "-r", "-l", "-z", "--full-tree"]
    /// Only the commit's trees (every directory below the root), as `directory` reads them.
    static let directoryArguments = ["ls-tree", "-r", "-d", "-z", "--full-tree"]

    /// One record of `directoryArguments`' listing: a tree's path and raw id; nil for a submodule
    /// (which git lists there too). Throws on anything else, a path a checkout refuses included.
    static func directory(_ record: [UInt8]) throws(CrossingError) -> (path: [UInt8], object: [UInt8])? {
        guard let tab = record.firstIndex(of: UInt8(ascii: "\t")) else { throw malformed(record) }
        let fields = record[..<tab].split(separator: UInt8(ascii: " ")).map { String(decoding: $0, as: UTF8.self) }
        let path = Array(record[(tab + 1)...])
        guard fields.count == 3, let object = rawObjectID(fields[2]), isSafe(path) else { throw malformed(record) }
        switch (fields[0], fields[1]) {
        case ("040000", "tree"): return (path, object)
        case ("160000", "commit"): return nil
        default: throw malformed(record)
        }
    }

    /// One record (without its NUL); throws on anything that is not what git prints or a path that
    /// would leave the work tree or write into `.git`, as a checkout refuses it.
    static func entry(_ record: [UInt8]) throws(CrossingError) -> Entry {
        guard let tab = record.firstIndex(of: UInt8(ascii: "\t")) else { throw malformed(record) }
        let fields = record[..<tab].split(separator: UInt8(ascii: " "), omittingEmptySubsequences: true).map { String(decoding: $0, as: UTF8.self) }
        let path = Array(record[(tab + 1)...])
        guard fields.count == 4, let mode = Int(fields[0], radix: 8), let object = rawObjectID(fields[2]) else { throw malformed(record) }
        guard isSafe(path) else {
            throw .unexpected("the repository has a file git would not check out: \(String(decoding: path, as: UTF8.self).debugDescription)")
        }
        switch (mode & 0o170000, fields[1]) {
        case (0o100000, "blob"):
            guard let size = Int(fields[3]) else { throw malformed(record) }
            return Entry(kind: .file(executable: mode & 0o100 != 0), object: object, size: size, path: path)
        case (0o120000, "blob"):
            guard let size = Int(fields[3]) else { throw malformed(record) }
            return Entry(kind: .symlink, object: object, size: size, path: path)
        case (0o160000, "commit"):
            return Entry(kind: .gitlink, object: object, size: 0, path: path)
        default:
            throw malformed(record)
        }
    }

    /// No empty, `.` or `..` component and no `.git` at any depth (any case, as git's own check).
    static func isSafe(_ path: [UInt8]) -> Bool {
        guard !path.isEmpty, path.first != UInt8(ascii: "/") else { return false }
        return path.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).allSatisfy { component in
            let name = String(decoding: component, as: UTF8.self).lowercased()
            return !component.isEmpty && name != "." && name != ".." && name != ".git"
        }
    }

    static func rawObjectID(_ hex: String) -> [UInt8]? {
        guard hex.utf8.count == 40, ObjectID.isValid(hex) else { return nil }
        let digits = Array(hex.utf8).map { $0 <= 57 ? $0 - 48 : $0 - 87 }
        return stride(from: 0, to: 40, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
    }

    static func hex(_ raw: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: raw.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] }, as: UTF8.self)
    }

    private static func malformed(_ record: [UInt8]) -> CrossingError {
        .unexpected("git ls-tree printed a line Burrow cannot read: \(String(decoding: record.prefix(200), as: UTF8.self).debugDescription)")
    }
}
