import Glibc

/// HMAC-SHA256 (RFC 2104, FIPS 180-4) computed by the system's OpenSSL libcrypto, loaded when first
/// used: no cryptography of Burrow's own, and no build dependency on OpenSSL's headers (libcrypto.so.3
/// is on every machine where the model endpoint's libcurl runs). Checked against RFC 4231's vectors.
public enum HMACSHA256 {
    public struct Unavailable: Error, CustomStringConvertible, Sendable, Equatable {
        public let reason: String
        public var description: String {
            "HMAC-SHA256 is not available: \(reason); install OpenSSL's libcrypto (Debian: apt-get install libssl3)"
        }
    }

    private typealias Digest = @convention(c) () -> OpaquePointer?
    private typealias OneShot = @convention(c) (OpaquePointer?, UnsafeRawPointer?, Int32, UnsafePointer<UInt8>?, Int,
                                                UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<UInt32>?) -> UnsafeMutablePointer<UInt8>?

    // @unchecked: two C function pointers resolved once, never changed.
    private struct Library: @unchecked Sendable {
        let sha256: Digest
        let hmac: OneShot
    }

    private static let library: Result<Library, Unavailable> = {
        for name in ["libcrypto.so.3", "libcrypto.so"] {
            guard let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) else { continue }
            guard let sha256 = dlsym(handle, "EVP_sha256"), let hmac = dlsym(handle, "HMAC") else {
                dlclose(handle)
                continue
            }
            // Kept open for the life of the process: the pointers point into it.
            return .success(Library(sha256: unsafeBitCast(sha256, to: Digest.self), hmac: unsafeBitCast(hmac, to: OneShot.self)))
        }
        return .failure(Unavailable(reason: "libcrypto.so.3 could not be loaded"))
    }()

    /// Fails only when libcrypto is missing; `serve` checks that at start (`available`).
    public static var available: Result<Void, Unavailable> { library.map { _ in () } }

    public static func authenticate(_ message: [UInt8], key: [UInt8]) throws(Unavailable) -> [UInt8] {
        let library = try library.get()
        guard key.count <= Int(Int32.max) else { throw Unavailable(reason: "a key over 2 GiB") }
        var output = [UInt8](repeating: 0, count: 64)
        var length: UInt32 = 0
        // A zero-length key or message still gets a valid pointer: OpenSSL reads nothing from it.
        let keyBytes = key.isEmpty ? [0] : key
        let messageBytes = message.isEmpty ? [0] : message
        let result = keyBytes.withUnsafeBytes { keyPointer in
            messageBytes.withUnsafeBufferPointer { messagePointer in
                output.withUnsafeMutableBufferPointer { outputPointer in
                    library.hmac(library.sha256(), keyPointer.baseAddress, Int32(key.count), messagePointer.baseAddress, message.count,
                                 outputPointer.baseAddress, &length)
                }
            }
        }
        guard result != nil, length == 32 else { throw Unavailable(reason: "libcrypto's HMAC failed") }
        return Array(output.prefix(32))
    }

    /// Lower-case hex, as `X-Hub-Signature-256` carries it.
    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes { text += [digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]] }
        return String(decoding: text, as: UTF8.self)
    }

    /// Equal without stopping at the first difference, so the time taken tells nothing of where two
    /// signatures differ.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in 0..<a.count { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
