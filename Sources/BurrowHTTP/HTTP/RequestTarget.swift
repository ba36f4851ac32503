import BurrowSystem

/// Splits and decodes a request target (`/a%20b?x=1&y`) into its path and query items.
package enum RequestTarget {
    static func split(_ target: String) -> (path: String, query: [HTTPRequest.QueryItem]) {
        let utf8 = Array(target.utf8)
        let mark = utf8.firstIndex(of: UInt8(ascii: "?"))
        let rawPath = utf8[..<(mark ?? utf8.endIndex)]
        let path = percentDecode(rawPath, plusIsSpace: false) ?? ""
        guard let mark else { return (path, []) }
        let query = utf8[(mark + 1)...].split(separator: UInt8(ascii: "&")).compactMap { pair -> HTTPRequest.QueryItem? in
            let equals = pair.firstIndex(of: UInt8(ascii: "="))
            guard let name = percentDecode(pair[..<(equals ?? pair.endIndex)], plusIsSpace: true) else { return nil }
            let value = equals.map { percentDecode(pair[($0 + 1)...], plusIsSpace: true) ?? "" } ?? ""
            return HTTPRequest.QueryItem(name: name, value: value)
        }
        return (path, query)
    }

    /// Percent-decodes bytes; nil when an escape is malformed or the result is not UTF-8.
    package static func percentDecode(_ bytes: ArraySlice<UInt8>, plusIsSpace: Bool) -> String? {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%") {
                guard index + 2 < bytes.endIndex,
                      let high = hexDigitValue(bytes[index + 1]), let low = hexDigitValue(bytes[index + 2]) else { return nil }
                output.append(high << 4 | low)
                index += 3
            } else {
                output.append(plusIsSpace && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
                index += 1
            }
        }
        return String(validating: output, as: UTF8.self)
    }

    /// Percent-encodes a query component (RFC 3986 unreserved characters pass).
    package static func percentEncode(_ text: String) -> String {
        var output = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                output.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                output += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]], as: UTF8.self)
            }
        }
        return output
    }
}
