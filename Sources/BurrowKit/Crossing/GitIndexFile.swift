import BurrowSystem

/// A git index (version 2) for a work tree that is extracted from Burrow's template archive, so that
/// git in the box finds every file clean without reading it: the stat data git compares under
/// `core.checkStat=minimal` and `core.trustctime=false` (whole-second mtime, size, file type and
/// executable bit) are the ones the archive gives the files. The rest (ctime, dev, ino, uid, gid) is
/// zero, which that setting ignores.
enum GitIndexFile {
    /// `entries` sorted by path (as `GitTree` keeps them), every file's mtime `mtime`.
    static func make(_ entries: [GitTree.Entry], mtime: Int) -> [UInt8] {
        var bytes: [UInt8] = Array("DIRC".utf8)
        bytes.reserveCapacity(12 + entries.count * 96 + 20)
        append32(&bytes, 2)
        append32(&bytes, UInt32(entries.count))
        for entry in entries {
            let start = bytes.count
            let seconds = UInt32(truncatingIfNeeded: entry.kind == .gitlink ? 0 : mtime)
            for field: UInt32 in [0, 0, seconds, 0, 0, 0, mode(entry.kind), 0, 0, UInt32(truncatingIfNeeded: entry.size)] {
                append32(&bytes, field)
            }
            bytes += entry.object
            let flags = UInt16(min(entry.path.count, 0xFFF))
            bytes += [UInt8(flags >> 8), UInt8(flags & 0xFF)]
            bytes += entry.path
            // One to eight NULs: the path's terminator, then padding to a multiple of eight.
            let length = bytes.count - start
            bytes += [UInt8](repeating: 0, count: 8 - length % 8)
        }
        bytes += SHA1.digest(bytes)
        return bytes
    }

    static func mode(_ kind: GitTree.Entry.Kind) -> UInt32 {
        switch kind {
        case .file(let executable): executable ? 0o100755 : 0o100644
        case .symlink: 0o120000
        case .gitlink: 0o160000
        }
    }

    private static func append32(_ bytes: inout [UInt8], _ value: UInt32) {
        bytes += [UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
    }
}
