import BurrowSystem
import BurrowHTTP
import BurrowPodman
import BurrowKit

/// `GET /api/health`: proves the stack end to end. Holds no secret.
public struct Health: Codable, Sendable {
    public var status: String
    public var version: String
    public var uptimeSeconds: Int
    public var podman: PodmanHealth?

    public typealias PodmanHealth = BurrowPodman.PodmanHealth
}

extension Router {
    /// `podman` answers at once (the last probe, `PodmanProbe.current`): a monitor's poll never waits on Podman.
    public mutating func addHealth(startedAt: UInt64, podman: (@Sendable () -> Health.PodmanHealth)? = nil) {
        let body = HealthBody()
        get("/api/health") { _ in
            let uptime = Int((Monotonic.now() - startedAt) / 1_000_000_000)
            let podmanHealth = podman?()
            return .bytes(body.encoded(uptime: uptime, podman: podmanHealth), contentType: "application/json")
        }
    }
}

/// The health answer changes at most once a second (uptime) or when the last Podman probe does:
/// encoding it once per change keeps JSONEncoder off a route that monitors poll.
final class HealthBody: Sendable {
    private let last = Locked<(uptime: Int, podman: Health.PodmanHealth?, bytes: [UInt8])?>(nil)

    func encoded(uptime: Int, podman: Health.PodmanHealth?) -> [UInt8] {
        if let last = last.withLock({ $0 }), last.uptime == uptime, last.podman == podman { return last.bytes }
        let status = podman.map { $0.reachable ? "ok" : "degraded" } ?? "ok"
        let health = Health(status: status, version: BurrowVersion.current, uptimeSeconds: uptime, podman: podman)
        let bytes = (try? JSONCoding.encoder.encode(health)).map { Array($0) } ?? Array(#"{"status":"degraded"}"#.utf8)
        last.withLock { $0 = (uptime, podman, bytes) }
        return bytes
    }
}
