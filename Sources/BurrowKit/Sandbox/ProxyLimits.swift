import BurrowSystem
import BurrowPodman
/// What one burrow may take of Burrow's own resources through its egress socket.
public struct ProxyLimits: Sendable, Equatable {
    /// Connections open at once (handed over or direct); more are refused and reported.
    public var maxConnections = 256
    /// Time to send a complete request head (and the handover message before it).
    public var headerTimeout: Duration = .seconds(30)
    /// A connection with no byte moving either way for this long is cut off (tunnels, model calls,
    /// keep-alive waits).
    public var idleTimeout: Duration = .seconds(600)

    public init() {}

    public init(_ network: NetworkConfig) {
        maxConnections = network.maxConnections
        headerTimeout = .seconds(network.headerTimeoutSeconds)
        idleTimeout = .seconds(network.idleTimeoutSeconds)
    }

    var idleNanoseconds: UInt64 {
        let (seconds, attoseconds) = idleTimeout.components
        return UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000)
    }
}
