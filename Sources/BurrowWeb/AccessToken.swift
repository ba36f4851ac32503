import Glibc
import BurrowSystem
import BurrowHTTP
import BurrowPodman
import BurrowKit

/// The secret that guards the API. Created at first start in `<stateDir>/token` (mode 0600),
/// or taken from `BURROW_TOKEN`.
public enum AccessToken {
    public static func loadOrCreate(stateDir: String, environment: String? = FileSystem.environment("BURROW_TOKEN")) throws -> String {
        if let environment, !environment.isEmpty { return environment }
        let path = stateDir + "/token"
        if let bytes = try? FileSystem.readFile(path, limit: 4096),
           let text = String(validating: bytes, as: UTF8.self)?.trimmingSpaces.split(separator: "\n").first, text.count >= 16 {
            if let status = FileSystem.status(path), status.mode & 0o077 != 0 { FileSystem.setMode(path, 0o600) }
            return String(text)
        }
        try FileSystem.createDirectories(stateDir, mode: 0o700)
        let token = random()
        try FileSystem.writeAtomically(Array((token + "\n").utf8), to: path, mode: 0o600)
        return token
    }

    /// 32 random bytes from the kernel's generator, as hex.
    public static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in
            let byte = UInt8.random(in: 0...255, using: &generator)
            return String(byte, radix: 16).leftPadded(to: 2)
        }.joined()
    }

    /// Compares without stopping at the first difference, so timing tells nothing about the token.
    public static func matches(_ candidate: String, _ token: String) -> Bool {
        HMACSHA256.constantTimeEqual(Array(candidate.utf8), Array(token.utf8))
    }
}
