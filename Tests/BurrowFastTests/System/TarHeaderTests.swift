@testable import BurrowSystem
import Glibc
import XCTest

/// Streamed tar headers: long names and links, and sizes past what 11 octal digits hold.
final class TarHeaderTests: XCTestCase {
    func checksumHolds(_ block: ArraySlice<UInt8>) -> Bool {
        var copy = Array(block)
        let stored = TarReader.octal(block[(block.startIndex + 148)..<(block.startIndex + 156)])
        for index in 148..<156 { copy[index] = 0x20 }
        return stored == copy.reduce(0) { $0 + Int($1) }
    }

    func testASizeOver8GiBIsWrittenInBase256() {
        let size = 10 << 30 + 7
        let header = TarWriter.entryHeader(name: Array("pack.pack".utf8), type: UInt8(ascii: "0"), mode: 0o444, uid: 1, gid: 1, size: size)
        XCTAssertEqual(header.count, 512)
        XCTAssertEqual(header[124], 0x80)
        XCTAssertEqual(header[128..<136].reduce(0) { $0 << 8 | Int($1) }, size)
        XCTAssertTrue(checksumHolds(header[...]))
        let small = TarWriter.entryHeader(name: Array("a".utf8), type: UInt8(ascii: "0"), mode: 0o644, uid: 1, gid: 1, size: 1 << 33 - 1)
        XCTAssertEqual(TarReader.octal(small[124..<136]), 1 << 33 - 1)
    }

    func testLongNamesAndLinksComeFirstAsGNUEntries() async throws {
        let name = Array(String(repeating: "n", count: 150).utf8), link = Array(String(repeating: "l", count: 120).utf8)
        let header = TarWriter.entryHeader(name: name, type: UInt8(ascii: "2"), mode: 0o777, uid: 1, gid: 1, size: 0, mtime: 1_700_000_000,
                                           linkName: link)
        XCTAssertEqual(header.count, 512 * 5, "L header + name block, K header + link block, the entry")
        XCTAssertEqual(header[156], UInt8(ascii: "L"))
        XCTAssertEqual(header[1024 + 156], UInt8(ascii: "K"))
        XCTAssertEqual(TarReader.octal(header[2048 + 136..<2048 + 148]), 1_700_000_000)
        XCTAssertTrue(stride(from: 0, to: 2560, by: 1024).allSatisfy { checksumHolds(header[$0..<($0 + 512)]) } && checksumHolds(header[2048...]))
        let path = "/tmp/burrow-tar-header-\(getpid()).tar"
        try FileSystem.writeAtomically(header + [UInt8](repeating: 0, count: 1024), to: path)
        defer { FileSystem.remove(path) }
        let listing = try await Subprocess.check(["tar", "-tvf", path]).stdout
        XCTAssertTrue(listing.contains(" \(String(repeating: "n", count: 150)) -> \(String(repeating: "l", count: 120))\n"), listing)
    }
}
