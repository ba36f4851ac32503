import Glibc
import CLinux

/// File calls that need libc directly: resolving symlinks, atomic writes with fsync, modes.
/// Everything above uses these instead of touching pointers or errno.
public enum FileSystem {
    public struct Status: Sendable, Equatable {
        public let size: Int
        public let modifiedNanoseconds: Int
        public let isDirectory: Bool
        public let isRegular: Bool
        public let mode: UInt32
        public let owner: UInt32
        public var group: UInt32 = 0
        public var isSocket = false
    }

    /// The canonical absolute path with every symlink resolved; nil when it does not exist.
    public static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    public static func status(_ path: String) -> Status? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let kind = info.st_mode & S_IFMT
        return Status(
            size: Int(info.st_size),
            modifiedNanoseconds: Int(info.st_mtim.tv_sec) * 1_000_000_000 + Int(info.st_mtim.tv_nsec),
            isDirectory: kind == S_IFDIR,
            isRegular: kind == S_IFREG,
            mode: UInt32(info.st_mode & 0o7777),
            owner: info.st_uid,
            group: info.st_gid,
            isSocket: kind == S_IFSOCK
        )
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    public static func readFile(_ path: String, limit: Int = 64 << 20) throws(SystemError) -> [UInt8] {
        let fd = Int32(try systemCallChecked("open \(path)") { Int(open(path, O_RDONLY | O_CLOEXEC)) })
        defer { close(fd) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while output.count <= limit {
            let count = try systemCallChecked("read \(path)") {
                chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            }
            if count == 0 { return output }
            output.append(contentsOf: chunk[0..<count])
        }
        throw SystemError(call: "read \(path)", code: EFBIG)
    }

    /// At most the first `count` bytes of a file (fewer when it is shorter).
    public static func readPrefix(_ path: String, count: Int) throws(SystemError) -> [UInt8] {
        let fd = Int32(try systemCallChecked("open \(path)") { Int(open(path, O_RDONLY | O_CLOEXEC)) })
        defer { close(fd) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: min(count, 65536))
        while output.count < count {
            let wanted = min(chunk.count, count - output.count)
            let read = try systemCallChecked("read \(path)") { chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, wanted) } }
            if read == 0 { break }
            output.append(contentsOf: chunk[0..<read])
        }
        return output
    }

    /// Writes `bytes` to a temporary file beside `path`, fsyncs it and renames it over `path`, so a
    /// reader (or a crash) sees the old file or the new one, never half of one.
    public static func writeAtomically(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws(SystemError) {
        let temporary = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = Int32(try systemCallChecked("open \(temporary)") {
            Int(open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode))
        })
        do {
            try writeAll(fd, bytes, name: temporary)
            _ = try systemCallChecked("fsync \(temporary)") { Int(fsync(fd)) }
            close(fd)
            _ = fchmodat(AT_FDCWD, temporary, mode, 0)
            _ = try systemCallChecked("rename \(temporary)") { Int(rename(temporary, path)) }
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        syncDirectory(of: path)
    }

    /// Rewrites `path` in place (the same file, truncated; made if missing; never through a symlink),
    /// for a file bind-mounted somewhere: a mount pins the file, so a rename over it goes unseen there.
    /// A reader may see it half-written.
    public static func overwrite(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws(SystemError) {
        let fd = Int32(try systemCallChecked("open \(path)") { Int(open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode)) })
        defer { close(fd) }
        _ = fchmod(fd, mode)
        try writeAll(fd, bytes, name: path)
    }

    /// Writes `bytes` to a new file (it must not exist), without syncing: scratch data.
    public static func writeNew(_ bytes: [UInt8], to path: String, mode: mode_t = 0o600) throws(SystemError) {
        let fd = Int32(try systemCallChecked("open \(path)") { Int(open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)) })
        defer { close(fd) }
        do {
            try writeAll(fd, bytes, name: path)
        } catch {
            unlink(path)
            throw error
        }
    }

    public static func writeAll(_ fd: Int32, _ bytes: [UInt8], name: String) throws(SystemError) {
        var offset = 0
        while offset < bytes.count {
            let written = try systemCallChecked("write \(name)") {
                bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            }
            offset += written
        }
    }

    /// Makes a rename or a new file durable: fsync of the directory that holds it.
    public static func syncDirectory(of path: String) {
        let directory = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let fd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    /// `mkdir -p`: `path` itself, when created, gets `mode`; the folders created on the way get
    /// `parentMode` whatever the umask, traversable by default: a folder Burrow creates above its state
    /// (`~/.local/state`) must not lock out Podman's user, who mounts from below it.
    public static func createDirectories(_ path: String, mode: mode_t = 0o755, parentMode: mode_t = 0o711) throws(SystemError) {
        var current = path.hasPrefix("/") ? "" : "."
        let parts = path.split(separator: "/")
        for (index, part) in parts.enumerated() {
            current += "/" + part
            let last = index == parts.count - 1
            if mkdir(current, last ? mode : parentMode) == 0 {
                if !last { chmod(current, parentMode) }
            } else if errno != EEXIST {
                throw SystemError(call: "mkdir \(current)", code: errno)
            }
        }
    }

    public static func setMode(_ path: String, _ mode: mode_t) { chmod(path, mode) }

    public static func remove(_ path: String) { unlink(path) }

    /// Renames atomically; false when it could not (the target exists as a non-empty directory, say).
    @discardableResult
    public static func move(_ from: String, to: String) -> Bool { Glibc.rename(from, to) == 0 }

    /// Removes an empty directory (nothing when it is missing or not empty).
    public static func removeDirectory(_ path: String) { rmdir(path) }

    public static var homeDirectory: String {
        if let home = getenv("HOME") { return String(cString: home) }
        if let entry = getpwuid(getuid()), let dir = entry.pointee.pw_dir { return String(cString: dir) }
        return "/"
    }

    public static var currentDirectory: String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return "." }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The absolute path of the running executable.
    public static var executablePath: String? { realPath("/proc/self/exe") }

    public static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    /// Resident set size of this process, in bytes, from /proc/self/statm.
    public static func residentBytes(pid: String = "self") -> Int? {
        guard let bytes = try? readFile("/proc/\(pid)/statm"),
              let text = String(validating: bytes, as: UTF8.self) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// How many descriptors this process holds open.
    public static func openDescriptorCount() -> Int {
        guard let directory = opendir("/proc/self/fd") else { return -1 }
        defer { closedir(directory) }
        var count = 0
        while readdir(directory) != nil { count += 1 }
        return count - 3  // ".", ".." and the directory's own descriptor
    }
}

extension FileSystem {
    public static var userID: UInt32 { getuid() }

    /// Bytes an unprivileged writer can still use on the filesystem holding `path`.
    public static func freeBytes(_ path: String) -> Int64? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }
}

extension FileSystem {
    /// Reads a file in pieces of `size` bytes, handing each to `body` (for streaming uploads).
    public static func forEachChunk(of path: String, size: Int = 256 * 1024, _ body: ([UInt8]) async throws -> Void) async throws {
        let fd = Int32(try systemCallChecked("open \(path)") { Int(open(path, O_RDONLY | O_CLOEXEC)) })
        defer { close(fd) }
        var chunk = [UInt8](repeating: 0, count: size)
        while true {
            let count = try systemCallChecked("read \(path)") {
                chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            }
            if count == 0 { return }
            try await body(Array(chunk[0..<count]))
        }
    }
}

extension FileSystem {
    /// Names in a directory, without "." and ".."; empty when it cannot be read.
    public static func listDirectory(_ path: String) -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = entryName(entry)
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Sets the mode of `path` only if it is a directory (not a link to one) owned by `owner`, with
    /// nothing in it and without the extended attribute `unlessAttribute`, checked and changed through
    /// one descriptor; true when its mode is `mode` afterwards.
    public static func setModeOfEmptyDirectory(_ path: String, _ mode: mode_t, owner: UInt32, unlessAttribute: String? = nil) -> Bool {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        guard let directory = fdopendir(descriptor) else {
            close(descriptor)
            return false
        }
        defer { closedir(directory) }  // closes `descriptor` too
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_uid == owner else { return false }
        if let unlessAttribute, fgetxattr(descriptor, unlessAttribute, nil, 0) >= 0 || errno == ERANGE { return false }
        while true {
            errno = 0
            guard let entry = readdir(directory) else { break }
            let name = entryName(entry)
            if name != "." && name != ".." { return false }
        }
        guard errno == 0, fchmod(descriptor, mode) == 0 else { return false }
        return fstat(descriptor, &info) == 0 && info.st_mode & 0o7777 == mode
    }

    private static func entryName(_ entry: UnsafeMutablePointer<dirent>) -> String {
        withUnsafeBytes(of: entry.pointee.d_name) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
    }
}

/// User names from the password database.
public enum UserNames {
    public static func name(of uid: UInt32) -> String {
        guard let entry = getpwuid(uid), let name = entry.pointee.pw_name else { return "uid \(uid)" }
        return String(validatingCString: name) ?? "uid \(uid)"
    }
}
