import BurrowSystem
import BurrowHTTP

/// Which output a log frame came from.
public enum OutputStream: String, Sendable, Codable, Equatable {
    case stdout, stderr
}

/// Demultiplexes Podman's log stream: frames of `[stream, 0, 0, 0, length (UInt32 big-endian)]` then
/// `length` payload bytes. Containers with a TTY may yield a raw stream instead; `auto` decides by the
/// first header. Feed any cut of the bytes; complete frames come out.
public struct LogFrameDecoder: Sendable {
    public enum Mode: Sendable, Equatable { case auto, framed, raw }

    public struct Frame: Sendable, Equatable {
        public let stream: OutputStream
        public let payload: [UInt8]
    }

    public private(set) var mode: Mode
    private var pending: [UInt8] = []
    private var offset = 0

    public init(mode: Mode = .auto) { self.mode = mode }

    public mutating func decode(_ bytes: some Collection<UInt8>) -> [Frame] {
        if mode == .raw { return bytes.isEmpty ? [] : [Frame(stream: .stdout, payload: Array(bytes))] }
        pending.append(contentsOf: bytes)
        if mode == .auto, pending.count - offset >= 8 {
            mode = Self.looksFramed(pending[offset..<(offset + 8)]) ? .framed : .raw
            if mode == .raw {
                defer { pending = []; offset = 0 }
                return [Frame(stream: .stdout, payload: Array(pending[offset...]))]
            }
        }
        var frames: [Frame] = []
        while pending.count - offset >= 8 && mode == .framed {
            let header = offset
            let length = Int(pending[header + 4]) << 24 | Int(pending[header + 5]) << 16 | Int(pending[header + 6]) << 8 | Int(pending[header + 7])
            guard pending.count - offset - 8 >= length else { break }
            let stream: OutputStream = pending[header] == 2 ? .stderr : .stdout
            frames.append(Frame(stream: stream, payload: Array(pending[(header + 8)..<(header + 8 + length)])))
            offset += 8 + length
        }
        if offset > 0 && (offset == pending.count || offset > 1 << 16) {
            pending.removeFirst(offset)
            offset = 0
        }
        return frames
    }

    /// Bytes held for an incomplete frame.
    public var bufferedCount: Int { pending.count - offset }

    static func looksFramed(_ header: ArraySlice<UInt8>) -> Bool {
        let start = header.startIndex
        return header[start] <= 3 && header[start + 1] == 0 && header[start + 2] == 0 && header[start + 3] == 0
    }
}

/// Turns pieces of output into complete lines, one buffer per stream. A frame is not a line: lines
/// split across frames are rejoined and frames holding several lines are split.
public struct LineAssembler: Sendable {
    public struct Line: Sendable, Equatable {
        public let stream: OutputStream
        public let bytes: [UInt8]
        public var text: String { String(decoding: bytes, as: UTF8.self) }
    }

    /// The unterminated line of each stream (two fields, not a dictionary: hashed once per frame, a
    /// flood's hottest path).
    private var partialStdout: [UInt8] = []
    private var partialStderr: [UInt8] = []
    /// A line longer than this is cut into pieces of this size, so one endless line cannot grow memory.
    public let maxLineBytes: Int

    public init(maxLineBytes: Int = 1 << 20) { self.maxLineBytes = maxLineBytes }

    public mutating func add(_ frame: LogFrameDecoder.Frame) -> [Line] {
        var lines: [Line] = []
        var current: [UInt8] = []
        switch frame.stream {
        case .stdout: swap(&current, &partialStdout)
        case .stderr: swap(&current, &partialStderr)
        }
        let payload = frame.payload
        var start = 0
        // Scan for newlines and copy whole runs, not byte by byte: logs can be hundreds of MiB.
        while start < payload.count {
            let newline = payload[start...].firstIndex(of: 0x0A)
            let end = newline ?? payload.count
            let room = maxLineBytes - current.count
            if end - start >= room {
                current.append(contentsOf: payload[start..<(start + room)])
                lines.append(Line(stream: frame.stream, bytes: current))
                current = []
                start += room
                continue
            }
            current.append(contentsOf: payload[start..<end])
            guard newline != nil else { break }
            if current.last == 0x0D { current.removeLast() }
            lines.append(Line(stream: frame.stream, bytes: current))
            current = []
            start = end + 1
        }
        switch frame.stream {
        case .stdout: partialStdout = current
        case .stderr: partialStderr = current
        }
        return lines
    }

    /// What remains unterminated at the end of the output.
    public mutating func flush() -> [Line] {
        defer { partialStdout = []; partialStderr = [] }
        return [(OutputStream.stdout, partialStdout), (.stderr, partialStderr)].compactMap { stream, rest in
            rest.isEmpty ? nil : Line(stream: stream, bytes: rest)
        }
    }
}
