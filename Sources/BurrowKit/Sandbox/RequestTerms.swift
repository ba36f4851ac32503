import BurrowSystem
import BurrowPodman

/// What the model endpoint must know of a Messages API request before it goes upstream: `model` and
/// `max_tokens` (what it may cost), and what it would have Anthropic's servers do for the agent
/// (`tools[].type`, `mcp_servers`, `container`). Read from the JSON body without decoding the rest
/// (a 31 MiB conversation is scanned once, nothing of it copied). Written by the agent, so read as
/// hostile: a key spelled with escapes or given twice could mean one thing here and another
/// upstream, and is refused.
struct RequestTerms: Equatable {
    var model: String?
    var maxTokens: Int?
    /// Each distinct `type` of the `tools` entries; "custom" for an entry without one.
    var toolTypes: Set<String> = []
    /// The top-level fields that ask for server-side work, when present: `mcp_servers`, `container`.
    var serverFields: Set<String> = []

    struct Unreadable: Error, Equatable, CustomStringConvertible {
        let description: String
    }

    static func scan(_ body: [UInt8]) -> Result<RequestTerms, Unreadable> {
        var scanner = Scanner(bytes: body)
        do {
            return .success(try scanner.object())
        } catch {
            return .failure(error)
        }
    }

    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        mutating func object() throws(Unreadable) -> RequestTerms {
            skipSpace()
            try expect(UInt8(ascii: "{"), "the body is not a JSON object")
            var terms = RequestTerms()
            var seen: Set<[UInt8]> = []
            skipSpace()
            if peek == UInt8(ascii: "}") { return terms }
            while true {
                skipSpace()
                let (key, escaped) = try string()
                if escaped { throw Unreadable(description: "a top-level key is written with escapes") }
                skipSpace()
                try expect(UInt8(ascii: ":"), "a key without a value")
                skipSpace()
                if Self.readKeys.contains(key) {
                    guard seen.insert(Array(key)).inserted else {
                        throw Unreadable(description: "\"\(String(decoding: key, as: UTF8.self))\" is given twice")
                    }
                    switch key {
                    case Self.modelKey: terms.model = try modelValue()
                    case Self.maxTokensKey: terms.maxTokens = try number()
                    case Self.toolsKey: terms.toolTypes = try toolTypes()
                    default:
                        terms.serverFields.insert(String(decoding: key, as: UTF8.self))
                        try skipValue()
                    }
                } else {
                    try skipValue()
                }
                skipSpace()
                if peek == UInt8(ascii: ",") { index += 1; continue }
                try expect(UInt8(ascii: "}"), "the object does not end")
                skipSpace()
                // A second document after the first could be read otherwise upstream.
                guard peek == nil else { throw Unreadable(description: "bytes follow the JSON object (at byte \(index))") }
                return terms
            }
        }

        var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func expect(_ byte: UInt8, _ problem: String) throws(Unreadable) {
            guard peek == byte else { throw Unreadable(description: problem + " (at byte \(index))") }
            index += 1
        }

        mutating func skipSpace() {
            while let byte = peek, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
        }

        /// A string's raw bytes (escapes left as they are) and whether it had any.
        mutating func string() throws(Unreadable) -> (ArraySlice<UInt8>, Bool) {
            try expect(UInt8(ascii: "\""), "a string was expected")
            let start = index
            var escaped = false
            while let byte = peek {
                if byte == UInt8(ascii: "\\") {
                    escaped = true
                    index += 2
                } else if byte == UInt8(ascii: "\"") {
                    index += 1
                    return (bytes[start..<index - 1], escaped)
                } else {
                    index += 1
                }
            }
            throw Unreadable(description: "a string does not end")
        }

        mutating func modelValue() throws(Unreadable) -> String? {
            guard peek == UInt8(ascii: "\"") else {
                try skipValue()
                return nil
            }
            let (raw, escaped) = try string()
            if escaped { throw Unreadable(description: "the model's name is written with escapes") }
            return String(decoding: raw.prefix(200), as: UTF8.self)
        }

        /// `tools`: a list of objects, each one's `type` (a plain string, given once) or "custom"
        /// when it has none; `null` is no tools.
        mutating func toolTypes() throws(Unreadable) -> Set<String> {
            if peek == UInt8(ascii: "n") {
                try skipValue()
                return []
            }
            try expect(UInt8(ascii: "["), "tools is not a list")
            var types: Set<String> = []
            skipSpace()
            if peek == UInt8(ascii: "]") { index += 1; return types }
            while true {
                skipSpace()
                types.insert(try toolType())
                guard types.count <= 64 else { throw Unreadable(description: "tools has more than 64 kinds of tool") }
                skipSpace()
                if peek == UInt8(ascii: ",") { index += 1; continue }
                try expect(UInt8(ascii: "]"), "the tools list does not end")
                return types
            }
        }

        mutating func toolType() throws(Unreadable) -> String {
            try expect(UInt8(ascii: "{"), "a tools entry is not an object")
            var type: String?
            skipSpace()
            if peek == UInt8(ascii: "}") { index += 1; return "custom" }
            while true {
                skipSpace()
                let (key, escaped) = try string()
                if escaped { throw Unreadable(description: "a tools entry's key is written with escapes") }
                skipSpace()
                try expect(UInt8(ascii: ":"), "a key without a value")
                skipSpace()
                if key == Self.typeKey {
                    guard type == nil else { throw Unreadable(description: "a tools entry gives \"type\" twice") }
                    guard peek == UInt8(ascii: "\"") else { throw Unreadable(description: "a tool's type is not a string") }
                    let (raw, escaped) = try string()
                    if escaped { throw Unreadable(description: "a tool's type is written with escapes") }
                    type = String(decoding: raw.prefix(100), as: UTF8.self)
                } else {
                    try skipValue()
                }
                skipSpace()
                if peek == UInt8(ascii: ",") { index += 1; continue }
                try expect(UInt8(ascii: "}"), "a tools entry does not end")
                return type ?? "custom"
            }
        }

        /// A number, rounded up and kept to a range whose sums cannot overflow; not a number: refused.
        mutating func number() throws(Unreadable) -> Int {
            let start = index
            while let byte = peek, (0x30...0x39).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+")
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") { index += 1 }
            guard index > start, index - start <= 64, let value = Double(String(decoding: bytes[start..<index], as: UTF8.self)),
                  value.isFinite else { throw Unreadable(description: "max_tokens is not a number") }
            return Int(min(max(0, value.rounded(.up)), Double(1 << 40)))
        }

        /// Any value, nested or not: strings are skipped whole, brackets counted (the upstream
        /// refuses a body that is not valid JSON, and such a request costs nothing).
        mutating func skipValue() throws(Unreadable) {
            var depth = 0
            repeat {
                guard let byte = peek else { throw Unreadable(description: "the body ends inside a value") }
                switch byte {
                case UInt8(ascii: "\""):
                    _ = try string()
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    if depth == 0 { return }
                    depth -= 1
                case UInt8(ascii: ","):
                    if depth == 0 { return }
                default:
                    break
                }
                index += 1
            } while depth > 0 || !(peek == UInt8(ascii: ",") || peek == UInt8(ascii: "}") || peek == nil)
        }

        static let modelKey = Array("model".utf8)[...]
        static let maxTokensKey = Array("max_tokens".utf8)[...]
        static let toolsKey = Array("tools".utf8)[...]
        static let typeKey = Array("type".utf8)[...]
        static let readKeys: Set<ArraySlice<UInt8>> = [modelKey, maxTokensKey, toolsKey,
                                                         Array("mcp_servers".utf8)[...], Array("container".utf8)[...]]
    }
}
