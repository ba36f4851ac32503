import Synchronization
import BurrowSystem

/// The server's open connections: what each is doing and when it must be cut off. A sweeper shuts
/// down connections past their deadline, or silent for longer than their idle limit, which wakes
/// their task with end-of-stream.
///
/// Descriptor rule: a connection leaves the table (`remove`) before its task closes the socket, and
/// the table shuts sockets down only under its lock, so a shutdown can never reach a descriptor that
/// was closed and reused by another connection.
package final class ConnectionTable: Sendable {
    package enum Phase: UInt8, Sendable { case idle, reading, handling, streaming }

    /// One connection's entry: its task updates phase and deadline without taking the table's lock
    /// (several times a request); the sweeper reads them.
    package final class Slot: Sendable {
        package let id: UInt64
        package let socket: AsyncSocket
        private let phaseValue: Atomic<UInt8>
        private let deadlineValue: Atomic<UInt64>

        /// Nanoseconds without a byte moving after which the connection is cut off.
        package let idleLimit: UInt64?

        package init(id: UInt64, socket: AsyncSocket, deadline: UInt64, idleLimit: UInt64? = nil) {
            self.id = id
            self.socket = socket
            self.idleLimit = idleLimit
            phaseValue = Atomic(Phase.idle.rawValue)
            deadlineValue = Atomic(deadline)
        }

        package var phase: Phase { Phase(rawValue: phaseValue.load(ordering: .relaxed)) ?? .idle }
        package var deadline: UInt64 { deadlineValue.load(ordering: .relaxed) }

        package func expired(at now: UInt64) -> Bool {
            if deadline <= now { return true }
            guard let idleLimit else { return false }
            return socket.lastActivity &+ idleLimit <= now
        }

        package func set(phase: Phase, deadline: UInt64) {
            phaseValue.store(phase.rawValue, ordering: .relaxed)
            deadlineValue.store(deadline, ordering: .relaxed)
        }
    }

    private let entries = Locked<[UInt64: Slot]>([:])
    private let nextID = Atomic<UInt64>(1)

    package init() {}

    package func add(_ socket: AsyncSocket, deadline: UInt64, idleLimit: UInt64? = nil) -> Slot {
        let slot = Slot(id: nextID.add(1, ordering: .relaxed).newValue, socket: socket, deadline: deadline, idleLimit: idleLimit)
        entries.withLock { $0[slot.id] = slot }
        return slot
    }

    /// Call before closing the slot's socket.
    package func remove(_ slot: Slot) {
        _ = entries.withLock { $0.removeValue(forKey: slot.id) }
    }

    package func set(_ slot: Slot, phase: Phase, deadline: UInt64) { slot.set(phase: phase, deadline: deadline) }

    package var count: Int { entries.withLock { $0.count } }

    /// Shuts down every connection past its deadline; returns how many.
    @discardableResult
    package func sweep(now: UInt64) -> Int {
        entries.withLock { table in
            var count = 0
            for slot in table.values where slot.expired(at: now) {
                slot.socket.shutdown()
                count += 1
            }
            return count
        }
    }

    /// Shuts down connections in the given phases (used when the server stops).
    package func shutdown(phases: Set<Phase>) {
        entries.withLock { table in
            for slot in table.values where phases.contains(slot.phase) { slot.socket.shutdown() }
        }
    }
}
