/// The bytes of `burrow shell` and `burrow exec` on the connection the server takes over: frames of
/// `[kind, length (UInt32 big-endian)]` then `length` bytes, never more than `maxPayload`, so that
/// neither side holds more than one frame of the other's.
public enum ShellFrame: Equatable, Sendable {
    /// Client to server: keys or piped input for the command.
    case input([UInt8])
    /// Client to server: the input ended (the command sees end of file).
    case inputEnd
    /// Client to server: the terminal's new size.
    case resize(rows: UInt16, columns: UInt16)
    /// Server to client: the command's output (with a terminal, all of it is `stdout`).
    case stdout([UInt8])
    case stderr([UInt8])
    /// Server to client, last: the command's exit status.
    case exit(Int32)
    /// Server to client, last: why the session could not go on (one line).
    case failure(String)

    public static let protocolName = "burrow-shell"
    public static let maxPayload = 64 << 10

    var kind: UInt8 {
        switch self {
        case .input: 1
        case .inputEnd: 2
        case .resize: 3
        case .stdout: 17
        case .stderr: 18
        case .exit: 19
        case .failure: 20
        }
    }

    public var encoded: [UInt8] {
        let payload: [UInt8]
        switch self {
        case .input(let bytes), .stdout(let bytes), .stderr(let bytes): payload = bytes
        case .inputEnd: payload = []
        case .resize(let rows, let columns): payload = Self.bigEndian(UInt32(rows) << 16 | UInt32(columns))
        case .exit(let code): payload = Self.bigEndian(UInt32(bitPattern: code))
        case .failure(let text): payload = Array(text.utf8.prefix(Self.maxPayload))
        }
        return [kind] + Self.bigEndian(UInt32(payload.count)) + payload
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    /// Output of any size as frames within the limit.
    static func output(_ bytes: [UInt8], stderr: Bool) -> [ShellFrame] {
        stride(from: 0, to: bytes.count, by: maxPayload).map { start in
            let piece = Array(bytes[start..<min(bytes.count, start + maxPayload)])
            return stderr ? .stderr(piece) : .stdout(piece)
        }
    }
}

public struct ShellFrameError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// Takes bytes in any cut and gives back whole frames; holds at most one frame's worth.
public struct ShellFrameDecoder: Sendable {
    private var pending: [UInt8] = []

    public init() {}

    public mutating func decode(_ bytes: some Collection<UInt8>) throws(ShellFrameError) -> [ShellFrame] {
        pending.append(contentsOf: bytes)
        var frames: [ShellFrame] = []
        var offset = 0
        while pending.count - offset >= 5 {
            let length = pending[(offset + 1)..<(offset + 5)].reduce(0) { $0 << 8 | Int($1) }
            guard length <= ShellFrame.maxPayload else { throw ShellFrameError(description: "a frame of \(length) bytes (at most \(ShellFrame.maxPayload))") }
            guard pending.count - offset - 5 >= length else { break }
            let payload = Array(pending[(offset + 5)..<(offset + 5 + length)])
            frames.append(try Self.frame(kind: pending[offset], payload))
            offset += 5 + length
        }
        pending.removeFirst(offset)
        return frames
    }

    static func frame(kind: UInt8, _ payload: [UInt8]) throws(ShellFrameError) -> ShellFrame {
        func word() throws(ShellFrameError) -> UInt32 {
            guard payload.count == 4 else { throw ShellFrameError(description: "frame \(kind) needs 4 bytes, not \(payload.count)") }
            return payload.reduce(0) { $0 << 8 | UInt32($1) }
        }
        switch kind {
        case 1: return .input(payload)
        case 2: return .inputEnd
        case 3:
            let value = try word()
            return .resize(rows: UInt16(value >> 16), columns: UInt16(value & 0xFFFF))
        case 17: return .stdout(payload)
        case 18: return .stderr(payload)
        case 19: return .exit(Int32(bitPattern: try word()))
        case 20: return .failure(String(decoding: payload, as: UTF8.self))
        default: throw ShellFrameError(description: "unknown frame kind \(kind)")
        }
    }
}

/// Podman's exec stream without a terminal, `[stream, 0, 0, 0, length]` then the payload, passed on
/// as it arrives: a frame the box makes huge is forwarded in pieces, never gathered.
struct ExecOutputDemux: Sendable {
    private var header: [UInt8] = []
    private var remaining = 0
    private var toStderr = false

    mutating func split(_ bytes: [UInt8]) -> [ShellFrame] {
        var frames: [ShellFrame] = []
        var index = 0
        while index < bytes.count {
            if remaining == 0 {
                header.append(bytes[index])
                index += 1
                if header.count == 8 {
                    toStderr = header[0] == 2
                    remaining = header[4...].reduce(0) { $0 << 8 | Int($1) }
                    header.removeAll(keepingCapacity: true)
                }
                continue
            }
            let take = min(remaining, bytes.count - index)
            frames += ShellFrame.output(Array(bytes[index..<(index + take)]), stderr: toStderr)
            remaining -= take
            index += take
        }
        return frames
    }
}
