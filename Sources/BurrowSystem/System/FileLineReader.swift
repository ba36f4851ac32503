import Glibc

/// Reads a file, or the byte range `[start, end)` of it, line by line through a fixed buffer, so a log
/// of any size is read in bounded memory. `end` fixes what is read at open: bytes appended later by
/// a writer are not seen (a reader replays a snapshot while the writer goes on).
public final class FileLineReader {
    public let path: String
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false
    private let pieceSize: Int
    /// Where the next read(2) starts, and where reading stops.
    private var fileOffset: Int
    private let end: Int?
    /// Bytes read from the file so far: what a replay cost.
    public private(set) var bytesRead = 0
    /// The file offset of the start of the line `next()` returns next.
    public private(set) var offset: Int

    public init(path: String, from start: Int = 0, to end: Int? = nil, pieceSize: Int = 256 * 1024) throws(SystemError) {
        self.path = path
        self.pieceSize = pieceSize
        self.fileOffset = start
        self.offset = start
        self.end = end
        fd = Int32(try systemCallChecked("open \(path)") { Int(open(path, O_RDONLY | O_CLOEXEC)) })
    }

    deinit { Glibc.close(fd) }

    /// The next line without its newline; a last line without one is returned too; nil at the end.
    public func next() throws(SystemError) -> ArraySlice<UInt8>? {
        while true {
            if let newline = buffer[start...].firstIndex(of: 0x0A) {
                defer {
                    offset += newline + 1 - start
                    start = newline + 1
                }
                return buffer[start..<newline]
            }
            if atEnd {
                guard start < buffer.count else { return nil }
                defer {
                    offset += buffer.count - start
                    start = buffer.count
                }
                return buffer[start...]
            }
            try fill()
        }
    }

    /// The next raw piece of at most `pieceSize` bytes, lines ignored; nil at the end. Do not mix
    /// with `next()`.
    public func nextPiece() throws(SystemError) -> [UInt8]? {
        guard !atEnd || start < buffer.count else { return nil }
        if start == buffer.count { try fill() }
        guard start < buffer.count else { return nil }
        defer {
            offset += buffer.count - start
            start = buffer.count
        }
        return Array(buffer[start...])
    }

    private func fill() throws(SystemError) {
        if start > 0 {
            buffer.removeFirst(start)
            start = 0
        }
        let wanted = end.map { min(pieceSize, max(0, $0 - fileOffset)) } ?? pieceSize
        guard wanted > 0 else {
            atEnd = true
            return
        }
        let old = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: wanted))
        let count = try systemCallChecked("pread \(path)") {
            buffer.withUnsafeMutableBytes { Glibc.pread(fd, $0.baseAddress! + old, wanted, off_t(fileOffset)) }
        }
        buffer.removeLast(wanted - count)
        fileOffset += count
        bytesRead += count
        atEnd = count == 0
    }
}

/// The byte range `[start, end)` of a file, fixed when taken: what a reader may stream later
/// while the writer goes on appending.
public struct FileSlice: Sendable {
    public let path: String
    public let start: Int
    public let end: Int

    public init(path: String, start: Int = 0, end: Int) {
        self.path = path
        self.start = start
        self.end = end
    }

    /// Reads the range in pieces of at most `pieceSize` bytes, handing each to `body`.
    public func forEachPiece(pieceSize: Int = 64 * 1024, _ body: ([UInt8]) async throws -> Void) async throws {
        let reader = try FileLineReader(path: path, from: start, to: end, pieceSize: pieceSize)
        while let piece = try reader.nextPiece() { try await body(piece) }
    }
}
