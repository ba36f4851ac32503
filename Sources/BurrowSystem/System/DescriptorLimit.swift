import Glibc

/// How many descriptors the process may open at once.
public enum DescriptorLimit {
    /// Raises the soft limit to the hard one. A user's default soft limit is often 1024, which a
    /// server holding each burrow's proxy connections, SSE streams and preview connections can reach
    /// long before the bounds it sets itself; the hard limit is what the system grants. Returns the
    /// limit now in force.
    @discardableResult
    public static func raiseToHardLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { return Int(raised.rlim_cur) }
        }
        return Int(limit.rlim_cur)
    }
}
