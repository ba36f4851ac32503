import BurrowSystem
import BurrowPodman

/// The recursive-descent reader behind `JSONC.parse` (RFC 8259 plus comments and trailing commas).
/// Depth is bounded so a deeply nested file is an error, not a stack overflow.
struct JSONCParser {
    private let bytes: [UInt8]
    private let maxDepth: Int
    private var offset = 0
    private var depth = 0

    init(bytes: [UInt8], maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    mutating func document() throws(JSONC.SyntaxError) -> JSONC.Value {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { offset = 3 }
        try skipSpaceAndComments()
        let value = try self.value()
        try skipSpaceAndComments()
        if offset < bytes.count { throw failure("unexpected '\(character(at: offset))' after the end of the document") }
        return value
    }

    private mutating func value() throws(JSONC.SyntaxError) -> JSONC.Value {
        guard offset < bytes.count else { throw failure("the document ends where a value was expected") }
        switch bytes[offset] {
        case UInt8(ascii: "{"): return try nested { (parser: inout JSONCParser) throws(JSONC.SyntaxError) in try parser.object() }
        case UInt8(ascii: "["): return try nested { (parser: inout JSONCParser) throws(JSONC.SyntaxError) in try parser.array() }
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw failure("unexpected '\(character(at: offset))' where a value was expected")
        }
    }

    private mutating func nested(_ body: (inout JSONCParser) throws(JSONC.SyntaxError) -> JSONC.Value) throws(JSONC.SyntaxError) -> JSONC.Value {
        depth += 1
        if depth > maxDepth { throw failure("nested deeper than \(maxDepth) levels") }
        defer { depth -= 1 }
        return try body(&self)
    }

    private mutating func object() throws(JSONC.SyntaxError) -> JSONC.Value {
        offset += 1
        var members: [(key: String, value: JSONC.Value)] = []
        var positions: [String: Int] = [:]
        while true {
            try skipSpaceAndComments()
            guard offset < bytes.count else { throw failure("the document ends inside an object") }
            if bytes[offset] == UInt8(ascii: "}") { offset += 1; return .object(members) }
            guard bytes[offset] == UInt8(ascii: "\"") else { throw failure("expected a quoted key or '}'") }
            let key = try string()
            try skipSpaceAndComments()
            guard offset < bytes.count, bytes[offset] == UInt8(ascii: ":") else { throw failure("expected ':' after the key \"\(key.prefix(40))\"") }
            offset += 1
            try skipSpaceAndComments()
            let value = try self.value()
            if let position = positions[key] { members[position].value = value } else {
                positions[key] = members.count
                members.append((key, value))
            }
            try skipSpaceAndComments()
            guard offset < bytes.count else { throw failure("the document ends inside an object") }
            if bytes[offset] == UInt8(ascii: ",") { offset += 1; continue }
            if bytes[offset] == UInt8(ascii: "}") { offset += 1; return .object(members) }
            throw failure("expected ',' or '}' in an object")
        }
    }

    private mutating func array() throws(JSONC.SyntaxError) -> JSONC.Value {
        offset += 1
        var elements: [JSONC.Value] = []
        while true {
            try skipSpaceAndComments()
            guard offset < bytes.count else { throw failure("the document ends inside an array") }
            if bytes[offset] == UInt8(ascii: "]") { offset += 1; return .array(elements) }
            elements.append(try value())
            try skipSpaceAndComments()
            guard offset < bytes.count else { throw failure("the document ends inside an array") }
            if bytes[offset] == UInt8(ascii: ",") { offset += 1; continue }
            if bytes[offset] == UInt8(ascii: "]") { offset += 1; return .array(elements) }
            throw failure("expected ',' or ']' in an array")
        }
    }

    private mutating func string() throws(JSONC.SyntaxError) -> String {
        offset += 1
        var scalars: [UInt8] = []
        while offset < bytes.count {
            let byte = bytes[offset]
            switch byte {
            case UInt8(ascii: "\""):
                offset += 1
                guard let text = String(validating: scalars, as: UTF8.self) else { throw failure("a string is not valid UTF-8") }
                return text
            case UInt8(ascii: "\\"):
                offset += 1
                guard offset < bytes.count else { throw failure("the document ends inside a string") }
                let escape = bytes[offset]
                offset += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scalars.append(escape)
                case UInt8(ascii: "b"): scalars.append(0x08)
                case UInt8(ascii: "f"): scalars.append(0x0C)
                case UInt8(ascii: "n"): scalars.append(0x0A)
                case UInt8(ascii: "r"): scalars.append(0x0D)
                case UInt8(ascii: "t"): scalars.append(0x09)
                case UInt8(ascii: "u"): scalars += Array(String(try unicodeEscape()).utf8)
                default: throw failure("unknown escape '\\\(character(at: offset - 1))'")
                }
            case 0..<0x20:
                throw failure("a control character inside a string (write it as an escape)")
            default:
                scalars.append(byte)
                offset += 1
            }
        }
        throw failure("the document ends inside a string")
    }

    private mutating func unicodeEscape() throws(JSONC.SyntaxError) -> Character {
        let high = try hex4()
        if (0xD800...0xDBFF).contains(high) {
            guard offset + 1 < bytes.count, bytes[offset] == UInt8(ascii: "\\"), bytes[offset + 1] == UInt8(ascii: "u") else {
                throw failure("a lone UTF-16 high surrogate")
            }
            offset += 2
            let low = try hex4()
            guard (0xDC00...0xDFFF).contains(low), let scalar = Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)) else {
                throw failure("an invalid UTF-16 surrogate pair")
            }
            return Character(scalar)
        }
        guard let scalar = Unicode.Scalar(high) else { throw failure("a lone UTF-16 low surrogate") }
        return Character(scalar)
    }

    private mutating func hex4() throws(JSONC.SyntaxError) -> UInt32 {
        guard offset + 4 <= bytes.count, let value = UInt32(String(decoding: bytes[offset..<(offset + 4)], as: UTF8.self), radix: 16) else {
            throw failure("\\u needs four hex digits")
        }
        offset += 4
        return value
    }

    private mutating func number() throws(JSONC.SyntaxError) -> Double {
        let start = offset
        func digits(_ parser: inout JSONCParser) -> Int {
            let first = parser.offset
            while parser.offset < parser.bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(parser.bytes[parser.offset]) { parser.offset += 1 }
            return parser.offset - first
        }
        if bytes[offset] == UInt8(ascii: "-") { offset += 1 }
        guard digits(&self) > 0 else { throw failure("a number needs digits") }
        if offset < bytes.count, bytes[offset] == UInt8(ascii: ".") {
            offset += 1
            guard digits(&self) > 0 else { throw failure("a number needs digits after '.'") }
        }
        if offset < bytes.count, bytes[offset] | 0x20 == UInt8(ascii: "e") {
            offset += 1
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "+") || bytes[offset] == UInt8(ascii: "-") { offset += 1 }
            guard digits(&self) > 0 else { throw failure("a number needs digits in its exponent") }
        }
        guard let value = Double(String(decoding: bytes[start..<offset], as: UTF8.self)), value.isFinite else {
            throw failure("a number out of range")
        }
        return value
    }

    private mutating func literal(_ word: StaticString) throws(JSONC.SyntaxError) {
        let expected = word.withUTF8Buffer { Array($0) }
        guard bytes.count - offset >= expected.count, Array(bytes[offset..<(offset + expected.count)]) == expected else {
            throw failure("unexpected '\(character(at: offset))' where a value was expected")
        }
        offset += expected.count
    }

    private mutating func skipSpaceAndComments() throws(JSONC.SyntaxError) {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x09, 0x0A, 0x0D:
                offset += 1
            case UInt8(ascii: "/") where offset + 1 < bytes.count && bytes[offset + 1] == UInt8(ascii: "/"):
                while offset < bytes.count, bytes[offset] != 0x0A { offset += 1 }
            case UInt8(ascii: "/") where offset + 1 < bytes.count && bytes[offset + 1] == UInt8(ascii: "*"):
                let start = offset
                offset += 2
                while offset + 1 < bytes.count, !(bytes[offset] == UInt8(ascii: "*") && bytes[offset + 1] == UInt8(ascii: "/")) { offset += 1 }
                guard offset + 1 < bytes.count else {
                    offset = start
                    throw failure("a /* comment is never closed")
                }
                offset += 2
            default:
                return
            }
        }
    }

    private func character(at position: Int) -> String {
        guard position < bytes.count else { return "end of file" }
        let byte = bytes[position]
        return (0x21...0x7E).contains(byte) ? String(UnicodeScalar(byte)) : "byte 0x" + String(byte, radix: 16)
    }

    private func failure(_ reason: String) -> JSONC.SyntaxError {
        var line = 1
        var column = 1
        for byte in bytes[..<min(offset, bytes.count)] {
            if byte == 0x0A { line += 1; column = 1 } else { column += 1 }
        }
        return JSONC.SyntaxError(line: line, column: column, reason: reason)
    }
}
