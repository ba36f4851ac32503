import CLinux
import Glibc
import Synchronization

/// One epoll instance and the thread that waits on it. Sockets register once, edge-triggered, for
/// both directions; waiters park a continuation in their `Readiness` and the thread resumes them.
public final class EventLoop: Sendable {
    public static let shared: EventLoop = {
        do { return try EventLoop() } catch { fatalError("cannot create the epoll event loop: \(error)") }
    }()

    /// One loop per core (at most four), `shared` first: a server spreads its connections over them,
    /// so that readiness for thousands of sockets is not all waited on by one thread.
    public static let group: [EventLoop] = {
        let cores = max(1, min(4, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))
        return [shared] + (1..<cores).map { _ in
            do { return try EventLoop() } catch { fatalError("cannot create an epoll event loop: \(error)") }
        }
    }()
    private static let turn = Atomic<Int>(0)

    /// The group's loops in turn.
    public static func next() -> EventLoop {
        group[turn.add(1, ordering: .relaxed).oldValue % group.count]
    }

    private let epollFD: Int32
    private let wakeFD: Int32
    private let registrations = Locked<[UInt64: Readiness]>([:])
    private let nextID = Atomic<UInt64>(1)
    private let stopping = Atomic<Bool>(false)
    private static let wakeID: UInt64 = 0

    package init() throws(SystemError) {
        epollFD = Int32(try systemCallChecked("epoll_create1") { Int(epoll_create1(Int32(EPOLL_CLOEXEC))) })
        wakeFD = Int32(try systemCallChecked("eventfd") { Int(eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))) })
        var event = epoll_event(events: EPOLLIN.rawValue, data: epoll_data_t(u64: Self.wakeID))
        _ = try systemCallChecked("epoll_ctl") { Int(epoll_ctl(epollFD, EPOLL_CTL_ADD, wakeFD, &event)) }
        startThread()
    }

    /// Adds `socket` to the epoll set. Events carry the registration's id, never the descriptor, so an
    /// event that arrives for a descriptor number reused after close finds no registration and is dropped.
    func register(_ socket: Socket) throws(SystemError) -> Readiness {
        let id = nextID.add(1, ordering: .relaxed).newValue
        let readiness = Readiness(id: id)
        registrations.withLock { $0[id] = readiness }
        let flags = EPOLLIN.rawValue | EPOLLOUT.rawValue | EPOLLRDHUP.rawValue | EPOLLET.rawValue
        var event = epoll_event(events: flags, data: epoll_data_t(u64: id))
        do {
            _ = try socket.checked("epoll_ctl") { Int(epoll_ctl(epollFD, EPOLL_CTL_ADD, $0, &event)) }
        } catch {
            _ = registrations.withLock { $0.removeValue(forKey: id) }
            throw error
        }
        return readiness
    }

    /// Removes the registration and fails its waiters. Call before closing the descriptor.
    func deregister(_ readiness: Readiness, socket: Socket) {
        _ = registrations.withLock { $0.removeValue(forKey: readiness.id) }
        var event = epoll_event()
        _ = try? socket.call("epoll_ctl") { Int(epoll_ctl(epollFD, EPOLL_CTL_DEL, $0, &event)) }
        readiness.close()
    }

    public var registeredCount: Int { registrations.withLock { $0.count } }

    private func startThread() {
        let box = Unmanaged.passRetained(self)
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { argument in
            let loop = Unmanaged<EventLoop>.fromOpaque(argument!).takeRetainedValue()
            loop.run()
            return nil
        }, box.toOpaque())
        precondition(result == 0, "pthread_create failed: \(result)")
        pthread_detach(thread)
    }

    private func run() {
        let capacity = 512
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: capacity)
        defer { events.deallocate() }
        var ready: [(Readiness, UInt32)] = []
        ready.reserveCapacity(capacity)
        while !stopping.load(ordering: .relaxed) {
            let count = Int(epoll_wait(epollFD, events, Int32(capacity), -1))
            if count <= 0 { continue }  // EINTR
            registrations.withLock { table in
                for index in 0..<count {
                    let event = events[index]
                    if event.data.u64 != Self.wakeID, let readiness = table[event.data.u64] {
                        ready.append((readiness, event.events))
                    }
                }
            }
            for (readiness, flags) in ready { readiness.notify(events: flags) }
            ready.removeAll(keepingCapacity: true)
        }
    }
}
