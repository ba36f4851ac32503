import BurrowSystem

/// A git index (version 2) for a work tree that is extracted from Burrow's template archive, so that
/// git in the box finds every file clean without reading it: the stat data git compares under
/// `core.checkStat=minimal` and `core.trustctime=false` (whole-second mtime, size, file type and
/// executable bit) are the ones the archive gives the files. The rest (ctime, dev, ino, uid, gid) is
/// zero, which that setting ignores. Written a piece at a time: the header, each entry in path order,
/// then the SHA-1 of all that (`TemplateArchive.writeIndex`).
enum GitIndexFile {
    static func header(count: Int) -> [UInt8] {
        var bytes: [UInt8] = Array("DIRC".utf8)
        append32(&bytes, 2)
        append32(&bytes, UInt32(count))
        return bytes
    }

    /// The bytes one entry takes: 62 of fields, the path, one to eight NULs to a multiple of eight.
    static func entrySize(pathLength: Int) -> Int { (62 + pathLength + 8) & ~7 }

    /// One entry: every file's mtime is `mtime`; entries go in path order (as git lists them).
    static func entry(_ entry: GitTree.Entry, mtime: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(entrySize(pathLength: entry.path.count))
        let seconds = UInt32(truncatingIfNeeded: entry.kind == .gitlink ? 0 : mtime)
        for field: UInt32 in [0, 0, seconds, 0, 0, 0, mode(entry.kind), 0, 0, UInt32(truncatingIfNeeded: entry.size)] {
            append32(&bytes, field)
        }
        bytes += entry.object
        let flags = UInt16(min(entry.path.count, 0xFFF))
        bytes += [UInt8(flags >> 8), UInt8(flags & 0xFF)]
        bytes += entry.path
        bytes += [UInt8](repeating: 0, count: entrySize(pathLength: entry.path.count) - bytes.count)
        return bytes
    }

    static func mode(_ kind: GitTree.Entry.Kind) -> UInt32 {
        switch kind {
        case .file(let executable): executable ? 0o100755 : 0o100644
        case .symlink: 0o120000
        case .gitlink: 0o160000
        }
    }

    /// `value` as git writes its numbers: four bytes, most significant first.
    static func append32(_ bytes: inout [UInt8], _ value: UInt32) {
        bytes += [UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
    }
}
