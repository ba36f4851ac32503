import BurrowSystem

/// Bytes read from a program's output as it comes: lines, or a counted run forwarded elsewhere.
struct StreamReader {
    let socket: AsyncSocket
    private var buffer: [UInt8] = []
    private var start = 0

    init(_ socket: AsyncSocket) { self.socket = socket }

    /// The bytes up to the next newline (without it); nil at the end of the stream.
    mutating func line(limit: Int = 4096) async throws(CrossingError) -> [UInt8]? {
        try await record(endingWith: UInt8(ascii: "\n"), limit: limit)
    }

    /// The bytes up to the next `terminator` (without it); nil at the end of the stream. A last
    /// record without its terminator is an error: the program's output was cut.
    mutating func record(endingWith terminator: UInt8, limit: Int) async throws(CrossingError) -> [UInt8]? {
        while true {
            if let end = buffer[start...].firstIndex(of: terminator) {
                let record = Array(buffer[start..<end])
                start = end + 1
                return record
            }
            guard buffer.count - start <= limit else { throw .unexpected("git printed a record over \(limit) bytes where less was expected") }
            guard try await more() else {
                guard start == buffer.count else { throw .unexpected("git's output ended inside a record") }
                return nil
            }
        }
    }

    /// Hands the next `count` bytes to `body` in pieces; throws if the stream ends first.
    mutating func forward(_ count: Int, to body: (ArraySlice<UInt8>) async throws -> Void) async throws {
        var left = count
        while left > 0 {
            if start == buffer.count, !(try await more()) { throw CrossingError.unexpected("git's output ended inside an object") }
            let piece = min(left, buffer.count - start)
            try await body(buffer[start..<(start + piece)])
            start += piece
            left -= piece
        }
    }

    private mutating func more() async throws(CrossingError) -> Bool {
        if start > 0 {
            buffer.removeFirst(start)
            start = 0
        }
        do {
            return try await socket.read(into: &buffer, maxBytes: 256 << 10) > 0
        } catch {
            throw .unexpected("reading git's output failed: \(error)")
        }
    }
}

/// A tar archive written in pieces of about 256 KiB to `sink` (an upload).
struct TarOutput {
    private let sink: @Sendable ([UInt8]) async throws -> Void
    private var buffer: [UInt8] = []
    private static let piece = 256 << 10

    init(_ sink: @escaping @Sendable ([UInt8]) async throws -> Void) {
        self.sink = sink
        buffer.reserveCapacity(Self.piece + 16 << 10)
    }

    mutating func append(_ bytes: some Collection<UInt8>) async throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= Self.piece { try await flush() }
    }

    /// One whole entry whose data is in memory.
    mutating func entry(_ name: [UInt8], type: UInt8 = UInt8(ascii: "0"), mode: Int, owner: AgentIdentity, mtime: Int,
                        data: [UInt8] = [], linkName: [UInt8] = []) async throws {
        try await append(TarWriter.entryHeader(name: name, type: type, mode: mode, uid: owner.uid, gid: owner.gid, size: data.count,
                                               mtime: mtime, linkName: linkName))
        try await append(data)
        try await append(TarWriter.padding(after: data.count))
    }

    /// The two zero blocks that end an archive, and everything still held.
    mutating func finish() async throws {
        try await append([UInt8](repeating: 0, count: 1024))
        try await flush()
    }

    private mutating func flush() async throws {
        guard !buffer.isEmpty else { return }
        try await sink(buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}
