import BurrowSystem
import BurrowPodman

/// One connection a burrow asked for, as shown in its event stream (`event: net`).
public struct NetEvent: Codable, Sendable, Equatable {
    public enum Phase: String, Codable, Sendable { case denied, opened, closed, model }

    public var phase: Phase
    public var host: String
    public var port: UInt16
    public var allowed: Bool
    /// CONNECT, or the method of a plain HTTP / model request.
    public var method: String
    public var path: String?
    public var reason: String?
    public var status: Int?
    public var bytesSent: Int?
    public var bytesReceived: Int?
    public var durationMs: Double?
    /// Model requests: from the request's arrival to the upstream's first answer byte.
    public var firstByteMs: Double?
    /// Model responses: the model the API named, the `usage` it reported, and its cost at the
    /// configured prices (nil when the model has no price).
    public var model: String?
    public var usage: TokenUsage?
    public var costUSD: Double?
    /// A request refused because the burrow's budget is spent.
    public var budgetReached: Bool?
    /// A model request the upstream answered 401 or 403: the credential was refused.
    public var keyRefused: Bool?
    /// The rule that decided, as text (an allowlist entry, a config key).
    public var rule: String?
    /// Who decided: "policy", "rule", "person", "timeout" or "credential".
    public var decidedBy: String?
    /// The name of the credential the request carried (a service's name, never its secret).
    public var credential: String?

    /// A connection to the burrow's socket itself refused (a stranger, a bad handover, the cap).
    static func socketRefused(_ reason: String) -> NetEvent {
        NetEvent(phase: .denied, host: SandboxLayout.socketDirectory + "/" + SandboxLayout.socketName, port: 0,
                 allowed: false, method: "connect", reason: reason)
    }
}

/// What one burrow's model endpoint has carried.
public struct ModelUsage: Codable, Sendable, Equatable {
    public var requests = 0
    public var bytesSent = 0
    public var bytesReceived = 0
    /// Responses per HTTP status ("200": 12).
    public var statuses: [String: Int] = [:]

    public init() {}

    /// This usage with one more model request.
    func counting(_ request: NetEvent) -> ModelUsage {
        var usage = self
        usage.requests += 1
        usage.bytesSent += request.bytesSent ?? 0
        usage.bytesReceived += request.bytesReceived ?? 0
        usage.statuses[request.status.map(String.init) ?? "failed", default: 0] += 1
        return usage
    }
}
