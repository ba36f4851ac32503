/// Small text helpers every layer uses (Foundation's are not in FoundationEssentials).
extension StringProtocol {
    /// ASCII case-insensitive equality over bytes: header names and tokens, several times a request
    /// (inlinable, so that callers in other modules get it specialized, without generic lookups).
    @inlinable package func caseInsensitiveEquals(_ other: some StringProtocol) -> Bool {
        let lhs = utf8, rhs = other.utf8
        guard lhs.count == rhs.count else { return false }
        let contiguous = lhs.withContiguousStorageIfAvailable { a in
            rhs.withContiguousStorageIfAvailable { b in
                for index in 0..<a.count where !asciiFoldedEqual(a[index], b[index]) { return false }
                return true
            }
        }
        if let contiguous = contiguous ?? nil { return contiguous }
        return zip(lhs, rhs).allSatisfy(asciiFoldedEqual)
    }

    /// Without spaces and tabs at either end; found over bytes, not characters.
    package var trimmingSpaces: Substring {
        let text = Substring(self)
        let bytes = text.utf8
        let isBlank = { (byte: UInt8) in byte == 0x20 || byte == 0x09 }
        guard let first = bytes.firstIndex(where: { !isBlank($0) }), let last = bytes.lastIndex(where: { !isBlank($0) }) else {
            return text[text.endIndex...]
        }
        return text[first..<bytes.index(after: last)]
    }
}

@inlinable @inline(__always)
package func asciiFoldedEqual(_ a: UInt8, _ b: UInt8) -> Bool {
    a == b || (a | 0x20 == b | 0x20 && (a | 0x20) >= 0x61 && (a | 0x20) <= 0x7A)
}

extension String {
    package func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }

    package func replacingOccurrences(_ target: String, with replacement: String) -> String {
        guard contains(target) else { return self }
        return split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}

/// The value of an ASCII hex digit (either case), nil for any other byte: percent escapes, chunk
/// sizes, JSON's `\u` escapes.
package func hexDigitValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
    default: nil
    }
}
