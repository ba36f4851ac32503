@testable import BurrowSystem
import Glibc
import XCTest

/// SHA-1 against FIPS 180 and RFC 3174 vectors, whole and fed in uneven pieces, and against git.
final class SHA1Tests: XCTestCase {
    func hex(_ bytes: [UInt8]) -> String { bytes.map { String($0, radix: 16).leftPadded(to: 2, with: "0") }.joined() }

    func testKnownVectors() {
        XCTAssertEqual(hex(SHA1.digest([])), "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        XCTAssertEqual(hex(SHA1.digest(Array("abc".utf8))), "a9993e364706816aba3e25717850c26c9cd0d89d")
        XCTAssertEqual(hex(SHA1.digest(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))),
                       "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
        XCTAssertEqual(hex(SHA1.digest([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))), "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
    }

    func testPiecesOfAnySizeGiveTheSameDigest() {
        let data = (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let whole = SHA1.digest(data)
        for piece in [1, 3, 63, 64, 65, 1000] {
            var hash = SHA1()
            var offset = 0
            while offset < data.count {
                hash.update(data[offset..<min(offset + piece, data.count)])
                offset += piece
            }
            XCTAssertEqual(hash.finish(), whole, "pieces of \(piece)")
        }
    }

    func testAgreesWithGitsBlobIDs() async throws {
        for size in [0, 55, 56, 64, 119, 4097] {
            let content = [UInt8](repeating: UInt8(ascii: "x"), count: size)
            let path = "/tmp/burrow-sha1-\(size)-\(getpid())"
            try FileSystem.writeAtomically(content, to: path)
            defer { FileSystem.remove(path) }
            let git = try await Subprocess.check(["git", "hash-object", path]).stdout.filter { !$0.isWhitespace }
            XCTAssertEqual(hex(SHA1.digest(Array("blob \(size)\0".utf8) + content)), git, "size \(size)")
        }
    }
}
