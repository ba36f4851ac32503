import Synchronization
import BurrowSystem
import BurrowHTTP
import BurrowPodman
import BurrowKit

/// Serves the browser UI from one folder. A path that is malformed or leads outside the folder
/// (`..`, an encoded `%2e%2e`, a NUL, a symlink out) is a 404, never a file elsewhere.
public final class StaticFiles: Sendable {
    public let root: String
    private let cache = Locked<[String: CachedFile]>([:])

    struct CachedFile {
        let status: FileSystem.Status
        let bytes: [UInt8]
        let etag: String
    }

    public init?(root: String) {
        guard let resolved = FileSystem.realPath(root), FileSystem.status(resolved)?.isDirectory == true else { return nil }
        self.root = resolved
    }

    /// Looks for `Public/` in the working directory, then beside and above the executable.
    public static func locate(configured: String) -> StaticFiles? {
        if !configured.isEmpty { return StaticFiles(root: Config.expandHome(configured)) }
        if let environment = FileSystem.environment("BURROW_PUBLIC") { return StaticFiles(root: environment) }
        var candidates = [FileSystem.currentDirectory + "/Public"]
        if var directory = FileSystem.executablePath {
            for _ in 0..<5 {
                directory = String(directory[..<(directory.lastIndex(of: "/") ?? directory.startIndex)])
                if directory.isEmpty { break }
                candidates.append(directory + "/Public")
                candidates.append(directory + "/share/burrow/Public")
            }
        }
        return candidates.lazy.compactMap { FileSystem.exists($0 + "/index.html") ? StaticFiles(root: $0) : nil }.first
    }

    public func respond(to request: HTTPRequest) -> HTTPResponse? {
        guard request.method == "GET" || request.method == "HEAD" else { return nil }
        guard let relative = Self.safeRelativePath(request.path) else { return nil }
        let candidate = relative.isEmpty ? root + "/index.html" : root + "/" + relative
        // Resolve symlinks and insist the result is still inside the root.
        guard var path = FileSystem.realPath(candidate), path.hasPrefix(root + "/") else { return nil }
        if FileSystem.status(path)?.isDirectory == true {
            guard let index = FileSystem.realPath(path + "/index.html"), index.hasPrefix(root + "/") else { return nil }
            path = index
        }
        guard let file = load(path) else { return nil }
        var headers: HTTPHeaders = ["Content-Type": Self.contentType(of: path), "ETag": file.etag, "Cache-Control": "no-cache"]
        headers["X-Content-Type-Options"] = "nosniff"
        if let match = request.headers["If-None-Match"], match.split(separator: ",").contains(where: { $0.trimmingSpaces == file.etag || $0.trimmingSpaces == "*" }) {
            return HTTPResponse(status: .notModified, headers: headers)
        }
        return HTTPResponse(status: .ok, headers: headers, body: .bytes(file.bytes))
    }

    private func load(_ path: String) -> CachedFile? {
        guard let status = FileSystem.status(path), status.isRegular else { return nil }
        if let cached = cache.withLock({ $0[path] }), cached.status == status { return cached }
        guard let bytes = try? FileSystem.readFile(path) else { return nil }
        let file = CachedFile(status: status, bytes: bytes, etag: "\"\(String(status.size, radix: 36))-\(String(status.modifiedNanoseconds, radix: 36))\"")
        cache.withLock { $0[path] = file }
        return file
    }

    /// The decoded path made relative, or nil if any segment could climb out or hide a NUL.
    static func safeRelativePath(_ path: String) -> String? {
        guard path.hasPrefix("/"), !path.utf8.contains(0), !path.contains("\\") else { return nil }
        let segments = path.split(separator: "/")
        guard !segments.contains(where: { $0 == ".." || $0 == "." || $0.hasPrefix(".") }) else { return nil }
        return segments.joined(separator: "/")
    }

    static let types: [String: String] = [
        "html": "text/html; charset=utf-8", "css": "text/css; charset=utf-8",
        "js": "text/javascript; charset=utf-8", "json": "application/json", "svg": "image/svg+xml",
        "png": "image/png", "ico": "image/x-icon", "txt": "text/plain; charset=utf-8", "webmanifest": "application/manifest+json",
    ]

    static func contentType(of path: String) -> String {
        let name = path.split(separator: "/").last ?? ""
        guard let dot = name.lastIndex(of: ".") else { return "application/octet-stream" }
        return types[name[name.index(after: dot)...].lowercased()] ?? "application/octet-stream"
    }
}
