import BurrowSystem
import BurrowHTTP
import BurrowPodman

/// `GET /api/health`: proves the stack end to end. Holds no secret.
public struct Health: Codable, Sendable {
    public var status: String
    public var version: String
    public var uptimeSeconds: Int
    public var podman: PodmanHealth?

    public typealias PodmanHealth = BurrowPodman.PodmanHealth
}

public enum BurrowVersion {
    public static let current = "0.1.0"
}

extension Router {
    public mutating func addHealth(startedAt: UInt64, podman: (@Sendable () async -> Health.PodmanHealth)? = nil) {
        get("/api/health") { _ in
            let uptime = Int((Monotonic.now() - startedAt) / 1_000_000_000)
            let podmanHealth = await podman?()
            let status = podmanHealth.map { $0.reachable ? "ok" : "degraded" } ?? "ok"
            return .json(Health(status: status, version: BurrowVersion.current, uptimeSeconds: uptime, podman: podmanHealth))
        }
    }
}
