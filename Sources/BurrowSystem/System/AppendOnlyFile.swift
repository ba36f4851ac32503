import Glibc

/// A file that only grows: each `append` is one write(2) at the end (O_APPEND), so a crash leaves at
/// worst a truncated last line, which `repairTruncatedTail` removes on the next open.
public final class AppendOnlyFile: @unchecked Sendable {
    // @unchecked: used only from inside the actor that owns it.
    public let path: String
    private var fd: Int32

    public init(path: String) throws(SystemError) {
        self.path = path
        fd = Int32(try systemCallChecked("open \(path)") { Int(open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)) })
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    public func append(_ bytes: [UInt8]) throws(SystemError) {
        try FileSystem.writeAll(fd, bytes, name: path)
    }

    public func sync() { fsync(fd) }

    public func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    /// Cuts a last line that has no newline (a write interrupted by a crash). Returns bytes removed.
    /// Reads backwards from the end in pieces until a newline: the tail, never the whole log.
    @discardableResult
    public static func repairTruncatedTail(_ path: String, pieceSize: Int = 64 * 1024) throws -> Int {
        guard let size = FileSystem.status(path)?.size, size > 0 else { return 0 }
        let fd = Int32(try systemCallChecked("open \(path)") { Int(open(path, O_RDONLY | O_CLOEXEC)) })
        defer { Glibc.close(fd) }
        var piece = [UInt8](repeating: 0, count: pieceSize)
        var end = size
        var keep = 0
        search: while end > 0 {
            let start = max(0, end - pieceSize)
            let count = try systemCallChecked("pread \(path)") {
                piece.withUnsafeMutableBytes { Glibc.pread(fd, $0.baseAddress!, end - start, off_t(start)) }
            }
            guard count == end - start else { throw SystemError(call: "pread \(path)", code: EIO) }
            if end == size && piece[count - 1] == 0x0A { return 0 }
            if let newline = piece[0..<count].lastIndex(of: 0x0A) {
                keep = start + newline + 1
                break search
            }
            end = start
        }
        _ = try systemCallChecked("truncate \(path)") { Int(truncate(path, off_t(keep))) }
        return size - keep
    }
}

extension FileSystem {
    /// Removes a directory tree (state of a purged burrow, temporary clones).
    public static func removeTree(_ path: String) {
        guard let status = status(path) else { unlink(path); return }
        if status.isDirectory {
            for name in listDirectory(path) { removeTree(path + "/" + name) }
            rmdir(path)
        } else {
            unlink(path)
        }
    }

    public static func makeTemporaryDirectory(_ prefix: String) throws(SystemError) -> String {
        var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
        guard let result = mkdtemp(&template) else { throw SystemError(call: "mkdtemp", code: errno) }
        return String(validatingCString: result) ?? ""
    }
}
