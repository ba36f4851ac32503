import BurrowSystem
import BurrowHTTP
import BurrowPodman

/// Takes one regular file out of a tar stream that came from a container (hostile: the helper that
/// wrote it read the agent's files), into a path of Burrow's choosing. Nothing in the archive decides
/// where anything is written; anything but headers and one regular file is refused; the size is capped
/// and checked before a byte is written, and memory stays at one read's worth.
enum ArchivedFile {
    static func save(_ stream: ResponseStream, to path: String, limit: Int64) async throws -> Int64 {
        var reader = BlockReader(stream: stream)
        while true {
            let header = try await reader.read(512)
            guard header.count == 512, !header.allSatisfy({ $0 == 0 }) else {
                throw CrossingError.resultRejected("the archive holds no file")
            }
            guard let size = TarReader.octal(header[124..<136]), size >= 0 else {
                throw CrossingError.resultRejected("a malformed archive header")
            }
            let padded = (size + 511) / 512 * 512
            switch header[156] {
            case UInt8(ascii: "x"), UInt8(ascii: "g"):
                guard size <= 1 << 20 else { throw CrossingError.resultRejected("an oversized archive header") }
                _ = try await reader.read(padded)
            case UInt8(ascii: "0"), 0:
                guard Int64(size) <= limit else { throw CrossingError.resultTooLarge(bytes: Int64(size), limit: limit) }
                FileSystem.remove(path)
                let file = try AppendOnlyFile(path: path)
                defer { file.close() }
                var left = size
                while left > 0 {
                    let piece = try await reader.read(min(left, 1 << 20))
                    guard !piece.isEmpty else { throw CrossingError.resultRejected("the archive ended inside the file") }
                    try file.append(piece)
                    left -= piece.count
                }
                return Int64(size)
            default:
                throw CrossingError.resultRejected("the archive holds something other than a regular file (type \(header[156]))")
            }
        }
    }

    /// Exact-size reads over a response body.
    private struct BlockReader {
        let stream: ResponseStream
        var pending: [UInt8] = []
        var offset = 0

        mutating func read(_ count: Int) async throws -> [UInt8] {
            while pending.count - offset < count {
                guard let piece = try await stream.next() else { break }
                if offset > 0 {
                    pending.removeFirst(offset)
                    offset = 0
                }
                pending += piece
            }
            let end = min(offset + count, pending.count)
            let bytes = Array(pending[offset..<end])
            offset = end
            return bytes
        }
    }
}
