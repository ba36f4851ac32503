import BurrowSystem
import BurrowPodman

/// The real Anthropic credential, held by Burrow only. An API key goes out as `x-api-key`; an
/// OAuth token (Claude subscription, `sk-ant-oat…`) as a bearer token with the OAuth beta flag.
public struct Credential: Sendable {
    public let value: String
    public var isOAuth: Bool { value.hasPrefix("sk-ant-oat") }

    /// What burrows get instead: useless anywhere but at Burrow's model endpoint, which drops it.
    public static let placeholder = "burrow-placeholder-key-the-real-one-stays-outside"

    public struct Missing: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    public init(value: String) { self.value = value }

    /// `field`: the config field named when it cannot be read.
    public static func load(_ source: CredentialsConfig.Source, field: String = "credentials.anthropic") throws -> Credential {
        if let name = source.env {
            guard let value = FileSystem.environment(name), !value.isEmpty else {
                throw Missing(description: "\(field): the environment variable \(name) is not set in Burrow's environment")
            }
            return Credential(value: String(value.trimmingSpaces))
        }
        let path = Config.expandHome(source.file ?? "")
        guard let bytes = try? FileSystem.readFile(path, limit: 64 * 1024),
              let line = String(decoding: bytes, as: UTF8.self).split(separator: "\n").first, !line.trimmingSpaces.isEmpty else {
            throw Missing(description: "\(field): cannot read a key from \(path)")
        }
        return Credential(value: String(line.trimmingSpaces))
    }

    /// The headers that carry it upstream.
    var headers: [(String, String)] {
        isOAuth ? [("Authorization", "Bearer \(value)"), ("anthropic-beta", "oauth-2025-04-20")] : [("x-api-key", value)]
    }
}
