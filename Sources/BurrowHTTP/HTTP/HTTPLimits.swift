import BurrowSystem

/// Hard limits on what a peer may send. A request over a limit is refused, never buffered.
public struct HTTPLimits: Sendable {
    /// Request line plus headers (→ 431).
    public var maxHeadBytes = 16 * 1024
    /// Body, unless a route raises it (→ 413).
    public var maxBodyBytes = 1024 * 1024
    public var maxHeaderCount = 100
    /// A chunk-size line, extensions included.
    public var maxChunkLineBytes = 1024
    /// A forward proxy's request forms: `CONNECT host:port` (authority-form), absolute URIs, any method.
    public var acceptsProxyForms = false

    public init() {}
}
