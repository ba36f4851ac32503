import Synchronization

/// The server's open connections: what each is doing and when it must be cut off. A sweeper shuts
/// down connections past their deadline, or silent for longer than their idle limit, which wakes
/// their task with end-of-stream. It only ever shuts down: the connection's own task closes it (a
/// socket closed meanwhile ignores the shutdown, so a reused descriptor number is never touched).
final class ConnectionTable: Sendable {
    enum Phase: Sendable { case idle, reading, handling, streaming }

    struct Entry {
        let socket: AsyncSocket
        var phase: Phase
        var deadline: UInt64
        /// Nanoseconds without a byte moving after which the connection is cut off.
        var idleLimit: UInt64?

        func expired(at now: UInt64) -> Bool {
            if deadline <= now { return true }
            guard let idleLimit else { return false }
            return socket.lastActivity &+ idleLimit <= now
        }
    }

    private let entries = Locked<[UInt64: Entry]>([:])
    private let nextID = Atomic<UInt64>(1)

    func add(_ socket: AsyncSocket, deadline: UInt64, idleLimit: UInt64? = nil) -> UInt64 {
        let id = nextID.add(1, ordering: .relaxed).newValue
        entries.withLock { $0[id] = Entry(socket: socket, phase: .idle, deadline: deadline, idleLimit: idleLimit) }
        return id
    }

    func remove(_ id: UInt64) {
        _ = entries.withLock { $0.removeValue(forKey: id) }
    }

    func set(_ id: UInt64, phase: Phase, deadline: UInt64) {
        entries.withLock { table in
            table[id]?.phase = phase
            table[id]?.deadline = deadline
        }
    }

    func set(_ id: UInt64, deadline: UInt64) {
        entries.withLock { $0[id]?.deadline = deadline }
    }

    var count: Int { entries.withLock { $0.count } }

    /// Shuts down every connection past its deadline; returns how many.
    @discardableResult
    func sweep(now: UInt64) -> Int {
        let expired = entries.withLock { table in table.values.filter { $0.expired(at: now) }.map(\.socket) }
        for socket in expired { socket.shutdown() }
        return expired.count
    }

    /// Shuts down connections in the given phases (used when the server stops).
    func shutdown(phases: Set<Phase>) {
        let sockets = entries.withLock { table in table.values.filter { phases.contains($0.phase) }.map(\.socket) }
        for socket in sockets { socket.shutdown() }
    }
}
