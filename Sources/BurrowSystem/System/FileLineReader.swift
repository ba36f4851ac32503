import Glibc

/// Reads a file line by line through a fixed buffer, so a log of any size is read in bounded memory.
public final class FileLineReader {
    public let path: String
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false
    private let pieceSize: Int

    public init(path: String, pieceSize: Int = 256 * 1024) throws(SystemError) {
        self.path = path
        self.pieceSize = pieceSize
        fd = Int32(try systemCallChecked("open \(path)") { Int(open(path, O_RDONLY | O_CLOEXEC)) })
    }

    deinit { Glibc.close(fd) }

    /// The next line without its newline; a last line without one is returned too; nil at the end.
    public func next() throws(SystemError) -> ArraySlice<UInt8>? {
        while true {
            if let newline = buffer[start...].firstIndex(of: 0x0A) {
                defer { start = newline + 1 }
                return buffer[start..<newline]
            }
            if atEnd {
                guard start < buffer.count else { return nil }
                defer { start = buffer.count }
                return buffer[start...]
            }
            try fill()
        }
    }

    private func fill() throws(SystemError) {
        if start > 0 {
            buffer.removeFirst(start)
            start = 0
        }
        let old = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: pieceSize))
        let count = try systemCallChecked("read \(path)") {
            buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + old, pieceSize) }
        }
        buffer.removeLast(pieceSize - count)
        atEnd = count == 0
    }
}
