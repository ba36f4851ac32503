import Synchronization

/// Whether Podman answers, for `/api/health`. Cached for a couple of seconds so a health poll never
/// turns into a flood of calls to Podman.
public final class PodmanProbe: Sendable {
    private let configured: String
    private let cache = Locked<(at: UInt64, health: Health.PodmanHealth)?>(nil)
    private let maxAge: UInt64 = 2_000_000_000

    public init(configured: String) { self.configured = configured }

    public func check() async -> Health.PodmanHealth {
        if let cached = cache.withLock({ $0 }), Monotonic.now() - cached.at < maxAge { return cached.health }
        let health: Health.PodmanHealth
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
