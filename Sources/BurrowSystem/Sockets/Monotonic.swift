import Glibc

/// Nanoseconds on the monotonic clock: for deadlines, never for wall time.
public enum Monotonic {
    public static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    public static func after(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        return now() + UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000)
    }
}
