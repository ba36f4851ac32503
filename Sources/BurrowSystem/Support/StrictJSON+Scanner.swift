extension StrictJSON {
    /// One pass over the bytes with an explicit stack (a hostile line of a million `[` fails at
    /// `maxDepth`, not on the call stack).
    struct Scanner {
        let bytes: [UInt8]
        let keys: [[UInt8]]
        var index = 0
        /// The raw value of each wanted top-level member (by `keys`' index), the first seen.
        var found: [Range<Int>?]

        init(bytes: [UInt8], keys: [[UInt8]]) {
            self.bytes = bytes
            self.keys = keys
            found = Array(repeating: nil, count: keys.count)
        }

        /// Whether the bytes are exactly one object; fills `found`.
        mutating func object() -> Bool {
            skipSpace()
            guard peek() == UInt8(ascii: "{") else { return false }
            var objects: [Bool] = []  // the open containers, innermost last: object or array
            var member: (key: Int?, start: Int) = (nil, 0)
            while true {
                // A value starts here.
                skipSpace()
                if objects.count == 1 { member.start = index }
                guard let byte = peek() else { return false }
                switch byte {
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    guard objects.count < maxDepth else { return false }
                    let isObject = byte == UInt8(ascii: "{")
                    objects.append(isObject)
                    index += 1
                    skipSpace()
                    if peek() == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                        index += 1
                        objects.removeLast()
                    } else if isObject {
                        guard let key = memberKey(atTop: objects.count == 1) else { return false }
                        if objects.count == 1 { member.key = key }
                        continue
                    } else {
                        continue
                    }
                case quote: guard string() else { return false }
                case UInt8(ascii: "-"), 0x30...0x39: guard number() else { return false }
                case UInt8(ascii: "t"): guard word(trueWord) else { return false }
                case UInt8(ascii: "f"): guard word(falseWord) else { return false }
                case UInt8(ascii: "n"): guard word(nullWord) else { return false }
                default: return false
                }
                // A value ended: what follows it, closing containers as they end.
                while true {
                    if objects.count == 1, let key = member.key, found[key] == nil { found[key] = member.start..<index }
                    if objects.count == 1 { member.key = nil }
                    if objects.isEmpty {
                        skipSpace()
                        return index == bytes.count
                    }
                    skipSpace()
                    guard let next = peek() else { return false }
                    let inObject = objects[objects.count - 1]
                    if next == UInt8(ascii: ",") {
                        index += 1
                        if inObject {
                            skipSpace()
                            guard let key = memberKey(atTop: objects.count == 1) else { return false }
                            if objects.count == 1 { member.key = key }
                        }
                        break
                    }
                    guard next == (inObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) else { return false }
                    index += 1
                    objects.removeLast()
                }
            }
        }

        /// A member's key and its colon; at the top level, which wanted key it is (nil: none).
        /// Returns nil for bad syntax, `.some(nil)` for an unwanted key.
        mutating func memberKey(atTop: Bool) -> Int?? {
            let start = index
            guard peek() == quote, string() else { return nil }
            let body = bytes[(start + 1)..<(index - 1)]
            skipSpace()
            guard peek() == UInt8(ascii: ":") else { return nil }
            index += 1
            return .some(atTop ? wantedKey(body) : nil)
        }

        func wantedKey(_ body: ArraySlice<UInt8>) -> Int? {
            if body.contains(backslash) {
                guard let decoded = StrictJSON.string(bytes[(body.startIndex - 1)...body.endIndex]) else { return nil }
                return keys.firstIndex { $0.elementsEqual(decoded.utf8) }
            }
            return keys.firstIndex { $0.elementsEqual(body) }
        }

        func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipSpace() {
            while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 { index += 1 }
        }

        mutating func word(_ word: [UInt8]) -> Bool {
            guard index + word.count <= bytes.count, bytes[index..<index + word.count].elementsEqual(word) else { return false }
            index += word.count
            return true
        }

        mutating func digits() -> Int {
            let start = index
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            return index - start
        }

        mutating func number() -> Bool {
            if peek() == UInt8(ascii: "-") { index += 1 }
            if peek() == UInt8(ascii: "0") { index += 1 } else if digits() == 0 { return false }
            if peek() == UInt8(ascii: ".") {
                index += 1
                guard digits() > 0 else { return false }
            }
            if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
                index += 1
                if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index += 1 }
                guard digits() > 0 else { return false }
            }
            return true
        }

        /// A string from its opening quote past its closing one: escapes known, no control
        /// character, the UTF-8 well formed (no overlong form, surrogate or code point past U+10FFFF).
        mutating func string() -> Bool {
            index += 1
            let count = bytes.count
            while index < count {
                // Most of a line: plain ASCII text, skipped in a tight loop.
                while index < count, bytes[index] >= 0x20, bytes[index] < 0x80, bytes[index] != quote, bytes[index] != backslash { index += 1 }
                guard index < count else { return false }
                let byte = bytes[index]
                switch byte {
                case quote:
                    index += 1
                    return true
                case backslash:
                    guard index + 1 < bytes.count else { return false }
                    switch bytes[index + 1] {
                    case quote, backslash, UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                        index += 2
                    case UInt8(ascii: "u"):
                        guard index + 6 <= bytes.count, bytes[(index + 2)..<(index + 6)].allSatisfy({ hexDigitValue($0) != nil }) else { return false }
                        index += 6
                    default: return false
                    }
                case 0..<0x20: return false
                case 0x20..<0x80: index += 1
                default: guard utf8Sequence() else { return false }
                }
            }
            return false
        }

        /// One multi-byte UTF-8 sequence at `index` (its lead byte ≥ 0x80).
        mutating func utf8Sequence() -> Bool {
            let lead = bytes[index]
            let (count, low, high): (Int, UInt8, UInt8) = switch lead {
            case 0xC2...0xDF: (1, 0x80, 0xBF)
            case 0xE0: (2, 0xA0, 0xBF)
            case 0xE1...0xEC, 0xEE...0xEF: (2, 0x80, 0xBF)
            case 0xED: (2, 0x80, 0x9F)
            case 0xF0: (3, 0x90, 0xBF)
            case 0xF1...0xF3: (3, 0x80, 0xBF)
            case 0xF4: (3, 0x80, 0x8F)
            default: (0, 0, 0)
            }
            guard count > 0, index + count < bytes.count else { return false }
            guard bytes[index + 1] >= low, bytes[index + 1] <= high else { return false }
            for offset in stride(from: 2, through: count, by: 1) where bytes[index + offset] & 0xC0 != 0x80 { return false }
            index += count + 1
            return true
        }
    }
}
