import BurrowSystem

/// What one burrow may take of the host: memory, CPUs, processes, disk, and the size of its event log.
/// Sizes are bytes, or with a suffix: "8g", "512m", "64k".
public struct LimitsConfig: Codable, Sendable, Equatable {
    public var memory: String?
    public var cpus: Double?
    /// Podman's (cgroup) pids limit; cgroups v1 rootless ignores it (see `processes`).
    public var pids: Int64?
    /// Its workspace, its config volume and its container's writable layer, measured while it runs.
    public var disk: String?
    /// Its `events.ndjson`: output past it is dropped, with an event saying how much.
    public var eventLog: String?
    /// A launch is refused while the state dir's (or Podman's storage's) filesystem has less free.
    public var minFreeDisk: String?
    /// RLIMIT_NPROC of the agent's uid (`nproc`): a per-burrow bound with per-burrow id ranges.
    public var processes: Int?

    public static let defaultDisk = "10g"
    public static let defaultEventLog = "256m"
    public static let defaultMinFreeDisk = "2g"
    public static let defaultProcesses = 1024

    public init(memory: String? = nil, cpus: Double? = nil, pids: Int64? = nil) {
        self.memory = memory
        self.cpus = cpus
        self.pids = pids
    }

    public var memoryBytes: Int64? { memory.flatMap(Self.bytes) }
    public var diskBytes: Int64 { Self.bytes(disk ?? Self.defaultDisk) ?? 0 }
    public var eventLogBytes: Int64 { Self.bytes(eventLog ?? Self.defaultEventLog) ?? 0 }
    public var minFreeDiskBytes: Int64 { Self.bytes(minFreeDisk ?? Self.defaultMinFreeDisk) ?? 0 }
    public var processLimit: Int { processes ?? Self.defaultProcesses }

    /// Whether Podman is asked for cgroup resource limits (memory, CPUs, pids) at all.
    var hasCgroupLimits: Bool { memory != nil || cpus != nil || pids != nil }

    /// "8g" → 8 GiB; nil when it is not a size (or overflows).
    public static func bytes(_ text: String) -> Int64? {
        guard let last = text.lowercased().last else { return nil }
        let multipliers: [Character: Int64] = ["k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40]
        guard let multiplier = multipliers[last] else { return Int64(text).flatMap { $0 >= 0 ? $0 : nil } }
        guard let value = Int64(text.dropLast()), value >= 0 else { return nil }
        let (product, overflow) = value.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : product
    }

    /// "10 GiB", "50 MiB": a size as the user reads it in a reason.
    public static func describe(_ bytes: Int64) -> String {
        let units: [(Int64, String)] = [(1 << 40, "TiB"), (1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")]
        for (size, name) in units where bytes >= size {
            let value = Double(bytes) / Double(size)
            return value == value.rounded() ? "\(Int64(value)) \(name)" : "\(Double(Int(value * 10)) / 10) \(name)"
        }
        return "\(bytes) bytes"
    }

    func validate() throws(ConfigError) {
        for (field, value) in [("memory", memory), ("disk", disk), ("eventLog", eventLog), ("minFreeDisk", minFreeDisk)] {
            if let value, Self.bytes(value) == nil {
                throw ConfigError(field: "limits." + field, reason: "'\(value)' is not a size such as 8g or 512m")
            }
        }
        if diskBytes < 1 << 20 { throw ConfigError(field: "limits.disk", reason: "must be at least 1m, not '\(disk ?? "")'") }
        if eventLogBytes < 64 << 10 { throw ConfigError(field: "limits.eventLog", reason: "must be at least 64k, not '\(eventLog ?? "")'") }
        if let processes, processes < 16 {
            throw ConfigError(field: "limits.processes", reason: "must be at least 16 (the agent, its shell and git need a few), not \(processes)")
        }
    }
}
