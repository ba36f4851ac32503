import CLinux
import Glibc
import Synchronization

/// One epoll instance and the thread that waits on it. Sockets register once, edge-triggered, for
/// both directions; waiters park a continuation in their `Readiness` and the thread resumes them.
/// It is also a task executor: tasks that prefer it (the HTTP server's connections) run on this
/// thread, between waits, so a socket that becomes ready resumes its task with no hop to another
/// thread and no wake-up of the cooperative pool (the way nginx's workers run).
public final class EventLoop: TaskExecutor, Sendable {
    public static let shared: EventLoop = {
        do { return try EventLoop() } catch { fatalError("cannot create the epoll event loop: \(error)") }
    }()

    private let epollFD: Int32
    private let wakeFD: Int32
    private let registrations = Locked<[UInt64: Readiness]>([:])
    private let nextID = Atomic<UInt64>(1)
    private let stopping = Atomic<Bool>(false)
    /// Jobs of tasks that prefer this loop, and whether the thread sleeps in epoll_wait (only then
    /// does an enqueue wake it): one lock, so a job is never left behind by a thread going to sleep.
    private let queue = Locked(JobQueue())
    private struct JobQueue {
        var jobs: [UnownedJob] = []
        var sleeping = false
    }
    private static let wakeID: UInt64 = 0

    package init() throws(SystemError) {
        epollFD = Int32(try systemCallChecked("epoll_create1") { Int(epoll_create1(Int32(EPOLL_CLOEXEC))) })
        wakeFD = Int32(try systemCallChecked("eventfd") { Int(eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))) })
        var event = epoll_event(events: EPOLLIN.rawValue | EPOLLET.rawValue, data: epoll_data_t(u64: Self.wakeID))
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

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let asleep = queue.withLock { queue in
            queue.jobs.append(job)
            defer { queue.sleeping = false }
            return queue.sleeping
        }
        if asleep { wake() }
    }

    private func wake() {
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    /// Runs the jobs queued so far (and those they queue, up to a bound, so waits are not starved).
    /// Returns whether jobs are still waiting.
    private func runJobs() -> Bool {
        for _ in 0..<64 {
            let batch = queue.withLock { queue -> [UnownedJob] in
                let batch = queue.jobs
                queue.jobs = []
                return batch
            }
            if batch.isEmpty { return false }
            for job in batch { job.runSynchronously(on: asUnownedTaskExecutor()) }
        }
        return queue.withLock { !$0.jobs.isEmpty }
    }

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
        var pending = false
        while !stopping.load(ordering: .relaxed) {
            if !pending {
                pending = queue.withLock { queue in
                    queue.sleeping = queue.jobs.isEmpty
                    return !queue.jobs.isEmpty
                }
            }
            let count = Int(epoll_wait(epollFD, events, Int32(capacity), pending ? 0 : -1))
            queue.withLock { $0.sleeping = false }
            if count <= 0 {  // EINTR, or nothing new while jobs wait
                pending = runJobs()
                continue
            }
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
            if (0..<count).contains(where: { events[$0].data.u64 == Self.wakeID }) {
                var drained: UInt64 = 0
                _ = read(wakeFD, &drained, 8)
            }
            pending = runJobs()
        }
    }
}
