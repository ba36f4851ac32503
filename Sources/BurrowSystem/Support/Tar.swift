/// Minimal ustar archives: enough to put files into a container and read files back out of
/// Podman's archive endpoint. Long names use GNU `././@LongLink` entries (which Podman's Go tar reads).
public struct TarWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public mutating func addDirectory(_ path: String, mode: Int = 0o755, uid: Int = 0, gid: Int = 0) {
        addEntry(path.hasSuffix("/") ? path : path + "/", type: UInt8(ascii: "5"), mode: mode, uid: uid, gid: gid, data: [])
    }

    public mutating func addFile(_ path: String, _ data: [UInt8], mode: Int = 0o644, uid: Int = 0, gid: Int = 0) {
        addEntry(path, type: UInt8(ascii: "0"), mode: mode, uid: uid, gid: gid, data: data)
    }

    /// The archive with its two terminating zero blocks.
    public func finished() -> [UInt8] { bytes + [UInt8](repeating: 0, count: 1024) }

    private mutating func addEntry(_ path: String, type: UInt8, mode: Int, uid: Int, gid: Int, data: [UInt8]) {
        let name = Array(path.utf8)
        if name.count > 100 {
            var long = name
            long.append(0)
            bytes += Self.header(name: Array("././@LongLink".utf8), type: UInt8(ascii: "L"), mode: 0, uid: 0, gid: 0, size: long.count)
            bytes += Self.padded(long)
        }
        bytes += Self.header(name: Array(name.prefix(100)), type: type, mode: mode, uid: uid, gid: gid, size: data.count)
        bytes += Self.padded(data)
    }

    /// The header blocks of one entry whose data (`size` bytes, then zeros to a block) the caller
    /// streams: GNU long-name and long-link entries first where the name or link is over 100 bytes.
    public static func entryHeader(name: [UInt8], type: UInt8, mode: Int, uid: Int, gid: Int, size: Int, mtime: Int = 0,
                                   linkName: [UInt8] = []) -> [UInt8] {
        var blocks: [UInt8] = []
        for (long, longType) in [(name, UInt8(ascii: "L")), (linkName, UInt8(ascii: "K"))] where long.count > 100 {
            blocks += header(name: Array("././@LongLink".utf8), type: longType, mode: 0, uid: 0, gid: 0, size: long.count + 1)
            blocks += padded(long + [0])
        }
        return blocks + header(name: Array(name.prefix(100)), type: type, mode: mode, uid: uid, gid: gid, size: size, mtime: mtime,
                               linkName: Array(linkName.prefix(100)))
    }

    /// Zeros that fill an entry of `size` bytes to whole blocks.
    public static func padding(after size: Int) -> [UInt8] { [UInt8](repeating: 0, count: (512 - size % 512) % 512) }

    static func padded(_ data: [UInt8]) -> [UInt8] {
        let remainder = data.count % 512
        return remainder == 0 ? data : data + [UInt8](repeating: 0, count: 512 - remainder)
    }

    static func header(name: [UInt8], type: UInt8, mode: Int, uid: Int, gid: Int, size: Int, mtime: Int = 0, linkName: [UInt8] = []) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ value: [UInt8], at offset: Int) { for (index, byte) in value.enumerated() { block[offset + index] = byte } }
        func octal(_ value: Int, width: Int) -> [UInt8] {
            Array(String(String(value, radix: 8).leftPadded(to: width - 1)).utf8) + [0]
        }
        put(name, at: 0)
        put(octal(mode, width: 8), at: 100)
        put(octal(uid, width: 8), at: 108)
        put(octal(gid, width: 8), at: 116)
        if size < 1 << 33 {
            put(octal(size, width: 12), at: 124)
        } else {
            // Past 11 octal digits (8 GiB): GNU base-256, big-endian after a 0x80 marker.
            put([0x80, 0, 0, 0] + (0..<8).reversed().map { UInt8(truncatingIfNeeded: size >> ($0 * 8)) }, at: 124)
        }
        put(octal(mtime, width: 12), at: 136)
        put(Array("        ".utf8), at: 148)
        block[156] = type
        put(linkName, at: 157)
        put(Array("ustar\0".utf8), at: 257)
        put(Array("00".utf8), at: 263)
        let checksum = block.reduce(0) { $0 + Int($1) }
        put(Array(String(String(checksum, radix: 8).leftPadded(to: 6)).utf8) + [0, 0x20], at: 148)
        return block
    }
}

/// Reads entries of a tar archive held in memory.
public enum TarReader {
    public struct Entry: Sendable, Equatable {
        public let path: String
        public let type: UInt8
        public let mode: Int
        public let data: [UInt8]
        public var isDirectory: Bool { type == UInt8(ascii: "5") }
        public var isFile: Bool { type == UInt8(ascii: "0") || type == 0 }
    }

    public struct Malformed: Error, CustomStringConvertible {
        public let reason: String
        public var description: String { "malformed tar archive: \(reason)" }
    }

    public static func entries(_ archive: [UInt8]) throws -> [Entry] {
        var entries: [Entry] = []
        var offset = 0
        var longName: String?
        var paxPath: String?
        while offset + 512 <= archive.count {
            let headerStart = offset
            let header = archive[offset..<(offset + 512)]
            if header.allSatisfy({ $0 == 0 }) { break }
            let type = archive[offset + 156]
            guard let size = octal(archive[(offset + 124)..<(offset + 136)]) else { throw Malformed(reason: "bad size at \(offset)") }
            let mode = octal(archive[(offset + 100)..<(offset + 108)]) ?? 0
            let dataStart = offset + 512
            guard dataStart + size <= archive.count else { throw Malformed(reason: "entry runs past the end") }
            let data = Array(archive[dataStart..<(dataStart + size)])
            offset = dataStart + (size + 511) / 512 * 512
            switch type {
            case UInt8(ascii: "L"):
                longName = String(decoding: data.prefix { $0 != 0 }, as: UTF8.self)
                continue
            case UInt8(ascii: "x"):
                paxPath = paxValue("path", in: data)
                continue
            case UInt8(ascii: "g"):
                continue
            default:
                break
            }
            var name = cString(archive[headerStart..<(headerStart + 100)])
            let prefix = cString(archive[(headerStart + 345)..<(headerStart + 500)])
            if !prefix.isEmpty { name = prefix + "/" + name }
            entries.append(Entry(path: paxPath ?? longName ?? name, type: type, mode: mode, data: data))
            longName = nil
            paxPath = nil
        }
        return entries
    }

    static func cString(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    package static func octal(_ bytes: ArraySlice<UInt8>) -> Int? {
        let text = cString(bytes).trimmingSpaces
        if text.isEmpty { return 0 }
        return Int(text, radix: 8)
    }

    static func paxValue(_ key: String, in data: [UInt8]) -> String? {
        for record in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            guard let space = record.firstIndex(of: " ") else { continue }
            let pair = record[record.index(after: space)...]
            if pair.hasPrefix(key + "=") { return String(pair.dropFirst(key.count + 1)) }
        }
        return nil
    }
}
