/// An exponential back-off for a retry loop: `wait()` sleeps the current delay, then doubles it up to
/// `maximum`; `reset()` starts again from `initial` after a success. The one place where Burrow's
/// retry loops (Podman coming back, accept after EMFILE, SSH reconnecting) sleep.
public struct Backoff: Sendable {
    public let initial: Duration
    public let maximum: Duration
    public private(set) var delay: Duration

    public init(initial: Duration, maximum: Duration) {
        self.initial = initial
        self.maximum = maximum
        delay = initial
    }

    /// Sleeps the current delay (throws on cancellation), then lengthens the next.
    public mutating func wait() async throws {
        try await Task.sleep(for: delay)
        delay = min(delay * 2, maximum)
    }

    public mutating func reset() { delay = initial }
}
