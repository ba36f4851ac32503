import BurrowSystem

/// Incremental decoder for `Transfer-Encoding: chunked` (RFC 9112 §7.1). Feed it bytes as they
/// arrive, in pieces of any size; it appends the payload and reports how much input it used.
public struct ChunkedDecoder: Sendable {
    enum State: Sendable, Equatable {
        case size(line: Int)
        case sizeLF
        case data(remaining: Int)
        case dataCR
        case dataLF
        case trailer(lineLength: Int)
        case trailerLF(lineLength: Int)
        case done
    }

    public struct Failure: Error, Equatable, CustomStringConvertible {
        public let reason: String
        public var description: String { "invalid chunked body: \(reason)" }
    }

    private var state = State.size(line: 0)
    private var size = 0
    private var sawDigit = false
    private var inExtension = false
    private var total = 0
    public let maxBodyBytes: Int
    public let maxLineBytes: Int

    public init(maxBodyBytes: Int = .max, maxLineBytes: Int = 1024) {
        self.maxBodyBytes = maxBodyBytes
        self.maxLineBytes = maxLineBytes
    }

    public var isComplete: Bool { state == .done }

    /// Decodes from `input`, appending payload bytes to `output`. Returns the number of input bytes used;
    /// stops early only when the body is complete (what follows belongs to the next message).
    public mutating func decode(_ input: ArraySlice<UInt8>, into output: inout [UInt8]) throws(Failure) -> Int {
        var index = input.startIndex
        while index < input.endIndex {
            switch state {
            case .done:
                return index - input.startIndex
            case .data(let remaining):
                let take = min(remaining, input.endIndex - index)
                output.append(contentsOf: input[index..<(index + take)])
                index += take
                state = remaining == take ? .dataCR : .data(remaining: remaining - take)
                continue
            default:
                break
            }
            let byte = input[index]
            index += 1
            switch state {
            case .size(let line):
                guard line < maxLineBytes else { throw Failure(reason: "chunk-size line longer than \(maxLineBytes) bytes") }
                if byte == 0x0D {
                    guard sawDigit else { throw Failure(reason: "missing chunk size") }
                    state = .sizeLF
                } else if inExtension {
                    state = .size(line: line + 1)
                } else if let digit = hexDigitValue(byte) {
                    guard size <= (Int.max >> 8) else { throw Failure(reason: "chunk size overflows") }
                    size = size << 4 | Int(digit)
                    sawDigit = true
                    state = .size(line: line + 1)
                } else if byte == UInt8(ascii: ";") || byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") {
                    guard sawDigit else { throw Failure(reason: "missing chunk size") }
                    inExtension = true
                    state = .size(line: line + 1)
                } else {
                    throw Failure(reason: "invalid character in chunk size")
                }
            case .sizeLF:
                guard byte == 0x0A else { throw Failure(reason: "chunk-size line not ended by CR LF") }
                total += size
                guard total <= maxBodyBytes else { throw Failure(reason: "body exceeds \(maxBodyBytes) bytes") }
                state = size == 0 ? .trailer(lineLength: 0) : .data(remaining: size)
                size = 0
                sawDigit = false
                inExtension = false
            case .dataCR:
                guard byte == 0x0D else { throw Failure(reason: "chunk data not followed by CR LF") }
                state = .dataLF
            case .dataLF:
                guard byte == 0x0A else { throw Failure(reason: "chunk data not followed by CR LF") }
                state = .size(line: 0)
            case .trailer(let length):
                guard length < maxLineBytes else { throw Failure(reason: "trailer line too long") }
                state = byte == 0x0D ? .trailerLF(lineLength: length) : .trailer(lineLength: length + 1)
            case .trailerLF(let length):
                guard byte == 0x0A else { throw Failure(reason: "trailer line not ended by CR LF") }
                state = length == 0 ? .done : .trailer(lineLength: 0)
            case .data, .done:
                break
            }
        }
        return index - input.startIndex
    }
}

/// Frames bytes as one chunk of a chunked body.
public enum ChunkedEncoder {
    public static func chunk(_ payload: some Collection<UInt8>) -> [UInt8] {
        guard !payload.isEmpty else { return [] }
        var output = Array(String(payload.count, radix: 16).utf8)
        output.reserveCapacity(output.count + payload.count + 4)
        output += [0x0D, 0x0A]
        output += payload
        output += [0x0D, 0x0A]
        return output
    }

    public static let end: [UInt8] = Array("0\r\n\r\n".utf8)
}
