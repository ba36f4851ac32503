import Glibc

/// A value behind a lock, on a pthread mutex. Not `Synchronization.Mutex`: Thread Sanitizer does not
/// see that one's futex, so it reports a correct program using it as racy
/// (`benchmarks/tsan-mutex-repro.swift`), and a sanitizer that cries wolf hides the real races.
public final class Locked<Value>: @unchecked Sendable {
    // @unchecked: `value` is touched only between pthread_mutex_lock and pthread_mutex_unlock.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    public init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    public func withLock<Result, Failure: Error>(_ body: (inout Value) throws(Failure) -> Result) throws(Failure) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
