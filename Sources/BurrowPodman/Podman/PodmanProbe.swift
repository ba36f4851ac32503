import Synchronization
import BurrowSystem
import BurrowHTTP

/// Whether Podman answers, for `/api/health`. Cached for a couple of seconds so a health poll never
/// turns into a flood of calls to Podman.
public final class PodmanProbe: Sendable {
    private let configured: String
    private let cache = Locked<(at: UInt64, health: PodmanHealth)?>(nil)
    private let maxAge: UInt64 = 2_000_000_000

    public init(configured: String) { self.configured = configured }

    public func check() async -> PodmanHealth {
        if let cached = cache.withLock({ $0 }), Monotonic.now() - cached.at < maxAge { return cached.health }
        let health: PodmanHealth
        do {
            let client = try await PodmanClient.connect(configured: configured)
            health = .init(reachable: true, version: try await client.version().version, error: nil)
        } catch {
            health = .init(reachable: false, version: nil, error: "\(error)")
        }
        cache.withLock { $0 = (Monotonic.now(), health) }
        return health
    }
}

/// Whether Podman's service answered, and its version or why not.
public struct PodmanHealth: Codable, Sendable, Equatable {
    public var reachable: Bool
    public var version: String?
    public var error: String?
}
