/// Reads one JSON object from bytes a burrow wrote, strictly by RFC 8259 (valid UTF-8, no trailing
/// comma, no leading zero, no unknown escape, at most `maxDepth` levels), in one pass that builds no
/// values: only the raw bytes of the top-level members asked for. Why not `JSONDecoder`: it accepts
/// more than JSON (`{"a":1,}`, `01`, invalid UTF-8), and a line kept verbatim as an event must parse
/// in the browser; and it builds every value of a line, which under a flood of agent output was most
/// of Burrow's CPU.
public enum StrictJSON {
    public static let maxDepth = 512

    /// The top-level member names a reader wants, encoded once.
    public struct Keys: Sendable {
        public let names: [String]
        let encoded: [[UInt8]]
        public init(_ names: [String]) {
            self.names = names
            encoded = names.map { Array($0.utf8) }
        }
    }

    /// The raw bytes (as written, quotes included) of each of `keys` among the object's top-level
    /// members, in `keys`' order, the first where a key repeats; nil when `bytes` are not exactly one
    /// JSON object (whitespace around it allowed).
    public static func members(of bytes: [UInt8], keys: Keys) -> [ArraySlice<UInt8>?]? {
        var scanner = Scanner(bytes: bytes, keys: keys.encoded)
        guard scanner.object() else { return nil }
        return scanner.found.map { $0.map { bytes[$0] } }
    }

    /// A raw string value (quotes included) decoded; nil for a lone surrogate escape or not a string.
    public static func string(_ raw: ArraySlice<UInt8>) -> String? {
        guard raw.count >= 2, raw.first == quote, raw.last == quote else { return nil }
        let body = raw.dropFirst().dropLast()
        guard body.contains(backslash) else { return String(decoding: body, as: UTF8.self) }
        // Bytes, decoded once at the end: appending to a string per escape grew with the string (a
        // line of a million `\n` took seconds).
        var bytes: [UInt8] = []
        bytes.reserveCapacity(body.count)
        var index = body.startIndex
        while index < body.endIndex {
            let byte = body[index]
            guard byte == backslash else { bytes.append(byte); index += 1; continue }
            guard index + 1 < body.endIndex else { return nil }
            let escape = body[index + 1]
            index += 2
            switch escape {
            case UInt8(ascii: "b"): bytes.append(0x08)
            case UInt8(ascii: "f"): bytes.append(0x0C)
            case UInt8(ascii: "n"): bytes.append(0x0A)
            case UInt8(ascii: "r"): bytes.append(0x0D)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case UInt8(ascii: "u"):
                guard var code = hex4(body, at: index) else { return nil }
                index += 4
                if (0xD800...0xDBFF).contains(code) {
                    guard index + 6 <= body.endIndex, body[index] == backslash, body[index + 1] == UInt8(ascii: "u"),
                          let low = hex4(body, at: index + 2), (0xDC00...0xDFFF).contains(low) else { return nil }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    index += 6
                }
                guard let scalar = Unicode.Scalar(code) else { return nil }
                UTF8.encode(scalar) { bytes.append($0) }
            case quote, backslash, UInt8(ascii: "/"): bytes.append(escape)
            default: return nil
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A raw number value as a Double; nil when it is not exactly a JSON number.
    public static func number(_ raw: ArraySlice<UInt8>) -> Double? {
        var scanner = Scanner(bytes: Array(raw), keys: [])
        guard scanner.peek() != nil, scanner.number(), scanner.index == raw.count else { return nil }
        return Double(String(decoding: raw, as: UTF8.self))
    }

    /// A raw `true` / `false`; nil otherwise.
    public static func bool(_ raw: ArraySlice<UInt8>) -> Bool? {
        raw.elementsEqual(trueWord) ? true : raw.elementsEqual(falseWord) ? false : nil
    }

    static let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
    static let trueWord = Array("true".utf8), falseWord = Array("false".utf8), nullWord = Array("null".utf8)

    static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    /// The four hex digits at `index`; nil when they are not.
    static func hex4(_ bytes: ArraySlice<UInt8>, at index: Int) -> UInt32? {
        guard index + 4 <= bytes.endIndex else { return nil }
        var code: UInt32 = 0
        for byte in bytes[index..<index + 4] {
            guard let digit = hexDigitValue(byte) else { return nil }
            code = code << 4 | UInt32(digit)
        }
        return code
    }
}
