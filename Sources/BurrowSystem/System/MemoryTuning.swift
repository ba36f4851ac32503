import CLinux

/// How the process's allocator treats large blocks.
public enum MemoryTuning {
    /// Blocks of 1 MiB and more are mapped on their own and go back to the system when freed: a
    /// flood of large request bodies leaves nothing behind in the heap (glibc's default threshold
    /// climbs with every large free, and the memory then stays with the process).
    public static func returnLargeBlocksWhenFreed() {
        _ = clinux_set_mmap_threshold(1 << 20)
    }
}
