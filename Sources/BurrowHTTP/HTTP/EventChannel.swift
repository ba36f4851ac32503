import Synchronization
import BurrowSystem

/// A bounded queue of encoded frames for one event-stream client. Producers never wait: a client that
/// falls more than `capacity` frames behind is dropped (its connection aborted) and reconnects later
/// with `Last-Event-ID`, rather than growing the server's memory.
public final class EventChannel: Sendable {
    struct State {
        var frames: [[UInt8]] = []
        var head = 0
        var finished = false
        var overflowed = false
        var waiter: CheckedContinuation<[UInt8]?, Never>?
        var abort: (@Sendable () -> Void)?

        /// Drops consumed frames from the front: always when all are consumed, else in steps of 1024
        /// so a long replay is not shifted once per frame.
        mutating func compact() {
            if head == frames.count || head > 1024 {
                frames.removeFirst(head)
                head = 0
            }
        }
    }

    public let capacity: Int
    private let state = Locked(State())

    public init(capacity: Int = 4096) {
        self.capacity = capacity
        KeepAlive.shared.track(self)
    }

    /// Queues a frame; false when the channel is closed or has just overflowed.
    @discardableResult
    public func send(_ frame: [UInt8], ignoringCapacity: Bool = false) -> Bool {
        var abort: (@Sendable () -> Void)?
        var waiter: CheckedContinuation<[UInt8]?, Never>?
        let accepted = state.withLock { state -> Bool in
            guard !state.finished else { return false }
            if let waiting = state.waiter {
                state.waiter = nil
                waiter = waiting
                return true
            }
            if !ignoringCapacity && state.frames.count - state.head >= capacity {
                state.finished = true
                state.overflowed = true
                state.frames = []
                state.head = 0
                abort = state.abort
                return false
            }
            state.frames.append(frame)
            return true
        }
        waiter?.resume(returning: frame)
        abort?()
        if !accepted { KeepAlive.shared.untrack(self) }
        return accepted
    }

    public func send(_ event: ServerSentEvent) -> Bool { send(event.encoded) }

    /// Ends the stream after what is queued.
    public func finish() {
        let waiter = state.withLock { state in
            state.finished = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
        KeepAlive.shared.untrack(self)
    }

    public var isOverflowed: Bool { state.withLock { $0.overflowed } }
    public var isFinished: Bool { state.withLock { $0.finished } }

    /// The next frame, or nil once finished and drained.
    public func next() async -> [UInt8]? {
        await withCheckedContinuation { continuation in
            let frame: [UInt8]?? = state.withLock { state in
                if state.head < state.frames.count {
                    let frame = state.frames[state.head]
                    state.head += 1
                    state.compact()
                    return .some(frame)
                }
                if state.finished { return .some(nil) }
                state.waiter = continuation
                return nil
            }
            if let frame { continuation.resume(returning: frame) }
        }
    }

    /// The next frame together with any others already queued, up to about `maxBytes`: one write for
    /// a burst (a replayed history of 50,000 events) instead of one per event. Nil once finished.
    public func nextBatch(maxBytes: Int = 256 * 1024) async -> [UInt8]? {
        guard var batch = await next() else { return nil }
        state.withLock { state in
            while state.head < state.frames.count && batch.count < maxBytes {
                batch += state.frames[state.head]
                state.head += 1
            }
            state.compact()
        }
        return batch
    }

    /// Called by the response writer: how to drop the connection when the channel overflows.
    package func onOverflow(_ abort: @escaping @Sendable () -> Void) {
        state.withLock { $0.abort = abort }
    }
}

/// Sends a comment to every open event stream now and then, so proxies and browsers keep them open
/// and a dead peer is noticed by a failing write.
final class KeepAlive: Sendable {
    static let shared = KeepAlive(interval: .seconds(15))
    let interval: Duration

    init(interval: Duration) { self.interval = interval }

    private let channels = Locked<[ObjectIdentifier: EventChannel]>([:])
    private let started = Atomic<Bool>(false)

    func track(_ channel: EventChannel) {
        channels.withLock { $0[ObjectIdentifier(channel)] = channel }
        if !started.exchange(true, ordering: .sequentiallyConsistent) {
            Task.detached { await self.tick() }
        }
    }

    func untrack(_ channel: EventChannel) {
        _ = channels.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// Runs while any channel is open: the last one gone ends it (under the lock, so a `track` that
    /// comes after sees `started` false and starts a new one).
    private func tick() async {
        let frame = ServerSentEvent.comment("keep-alive")
        while true {
            try? await Task.sleep(for: interval)
            let open: [EventChannel]? = channels.withLock { table in
                guard !table.isEmpty else {
                    started.store(false, ordering: .sequentiallyConsistent)
                    return nil
                }
                return Array(table.values)
            }
            guard let open else { return }
            for channel in open { channel.send(frame) }
        }
    }

    var isRunning: Bool { started.load(ordering: .sequentiallyConsistent) }
}

extension HTTPResponse {
    /// A `text/event-stream` response that writes what `replay` writes (history read as the socket
    /// takes it), then whatever `channel` yields until it finishes.
    public static func eventStream(_ channel: EventChannel, retryMilliseconds: Int = 2000,
                                   replay: (@Sendable (ResponseBodyWriter) async throws -> Void)? = nil) -> HTTPResponse {
        var response = HTTPResponse(
            status: .ok,
            headers: ["Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no"],
            body: .stream { writer in
                channel.onOverflow { writer.abort() }
                // A closed tab or a stopping server ends the stream now, not at the next keep-alive.
                let watcher = Task {
                    await writer.waitForPeerClose()
                    channel.finish()
                }
                // The watcher reads the socket: it must be finished, not just cancelled, before the
                // connection is closed, or it could read a descriptor number already reused.
                func stopWatching() async {
                    watcher.cancel()
                    await watcher.value
                    channel.finish()
                }
                do {
                    try await writer.write(Array("retry: \(retryMilliseconds)\n\n".utf8))
                    try await replay?(writer)
                    while let frames = await channel.nextBatch() {
                        try await writer.write(frames)
                    }
                } catch {
                    await stopWatching()
                    throw error
                }
                await stopWatching()
            }
        )
        // A head that cannot be written, or a HEAD request, never runs the body: end the channel
        // anyway, or its producer and the keep-alive loop would hold it until it overflows.
        response.onAbandon = { channel.finish() }
        return response
    }
}
