import CLinux
import Glibc
import Synchronization

/// Whether a registered socket can be read or written, and who is waiting until it can.
/// Edge-triggered: an event that arrives with nobody waiting is remembered as a flag, so a waiter
/// that arrives just after it does not sleep through it.
final class Readiness: Sendable {
    struct State {
        var readable = false
        var writable = false
        var closed = false
        var reader: UnsafeContinuation<Void, any Error>?
        var writer: UnsafeContinuation<Void, any Error>?
    }

    let id: UInt64
    private let state = Locked(State())

    init(id: UInt64) { self.id = id }

    func waitReadable() async throws { try await wait(reading: true) }
    func waitWritable() async throws { try await wait(reading: false) }

    /// Parks the calling task until the socket is ready in one direction. Cancelling the task wakes it
    /// with `CancellationError`, so timeouts built on task cancellation work on sockets too.
    private func wait(reading: Bool) async throws {
        try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Void, any Error>) in
                let outcome: Result<Void, any Error>? = state.withLock { state in
                    if state.closed { return .failure(SocketClosed()) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if reading {
                        if state.readable { state.readable = false; return .success(()) }
                        state.reader = continuation
                    } else {
                        if state.writable { state.writable = false; return .success(()) }
                        state.writer = continuation
                    }
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                defer { if reading { state.reader = nil } else { state.writer = nil } }
                return reading ? state.reader : state.writer
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    /// Called on the epoll thread. Errors and hang-ups wake both sides: the next call reports them.
    func notify(events: UInt32) {
        let failure = events & (EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0
        let canRead = failure || events & (EPOLLIN.rawValue | EPOLLRDHUP.rawValue) != 0
        let canWrite = failure || events & EPOLLOUT.rawValue != 0
        let (reader, writer) = state.withLock { state -> (UnsafeContinuation<Void, any Error>?, UnsafeContinuation<Void, any Error>?) in
            var reader: UnsafeContinuation<Void, any Error>?
            var writer: UnsafeContinuation<Void, any Error>?
            if canRead {
                if let waiting = state.reader { reader = waiting; state.reader = nil } else { state.readable = true }
            }
            if canWrite {
                if let waiting = state.writer { writer = waiting; state.writer = nil } else { state.writable = true }
            }
            return (reader, writer)
        }
        reader?.resume()
        writer?.resume()
    }

    func close() {
        let (reader, writer) = state.withLock { state in
            state.closed = true
            defer { state.reader = nil; state.writer = nil }
            return (state.reader, state.writer)
        }
        reader?.resume(throwing: SocketClosed())
        writer?.resume(throwing: SocketClosed())
    }
}

/// The socket was closed (by us, a timeout or shutdown) while a task waited on it.
public struct SocketClosed: Error, CustomStringConvertible, Sendable {
    public var description: String { "the connection was closed" }
}
