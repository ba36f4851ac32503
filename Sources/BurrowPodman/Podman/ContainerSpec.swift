import BurrowSystem
import BurrowHTTP

/// What Burrow asks Podman to create: the parts of libpod's SpecGenerator that Burrow uses, in its
/// JSON field names. Podman ignores keys it does not know, so tests check the result with inspect.
public struct ContainerSpec: Encodable, Sendable, Equatable {
    public var image: String
    public var name: String?
    public var command: [String]?
    public var entrypoint: [String]?
    public var env: [String: String] = [:]
    public var workDir: String?
    public var user: String?
    public var labels: [String: String] = [:]
    public var volumes: [NamedVolume] = []
    public var mounts: [Mount] = []
    public var devices: [Device] = []
    public var network: NetworkMode = .none
    public var resourceLimits: ResourceLimits?
    public var capDrop: [String] = []
    public var noNewPrivileges = false
    public var readOnlyRootFilesystem = false
    public var stopTimeout: UInt?
    public var terminal = false
    /// A seccomp profile file on the host, read by Podman; nil: Podman's default.
    public var seccompProfilePath: String?
    /// A user namespace of the container's own with these mappings; nil: Podman's default.
    public var idMappings: IDMappings?
    /// Supplementary groups of the container's processes (numeric, as the container sees them).
    public var groups: [String] = []
    /// The processes' umask (octal text); nil: Podman's default (0022).
    public var umask: String?
    /// Per-process limits set before the command runs (`--ulimit`), e.g. RLIMIT_NPROC.
    public var rlimits: [RLimit] = []
    /// Podman's container log: the driver and the size past which conmon starts the file over.
    public var logConfiguration: LogConfiguration?

    public init(image: String) { self.image = image }

    public struct NamedVolume: Encodable, Sendable, Equatable {
        public var name: String
        public var destination: String
        public var options: [String]
        public init(name: String, destination: String, options: [String] = []) {
            self.name = name
            self.destination = destination
            self.options = options
        }
        enum CodingKeys: String, CodingKey { case name = "Name", destination = "Dest", options = "Options" }
    }

    /// An OCI mount: a read-only bind of a host path, or a tmpfs.
    public struct Mount: Encodable, Sendable, Equatable {
        public var destination: String
        public var type: String
        public var source: String
        public var options: [String]
        public static func bind(_ source: String, at destination: String, readOnly: Bool = true) -> Mount {
            Mount(destination: destination, type: "bind", source: source, options: readOnly ? ["ro", "rbind"] : ["rbind"])
        }
        public static func tmpfs(at destination: String, options: [String] = ["rw", "nosuid", "nodev"]) -> Mount {
            Mount(destination: destination, type: "tmpfs", source: "tmpfs", options: options)
        }
    }

    /// A device path or a CDI name such as `nvidia.com/gpu=all`.
    public struct Device: Encodable, Sendable, Equatable {
        public var path: String
        public init(_ path: String) { self.path = path }
    }

    /// Container ids → ids of the Podman user's namespace (rootless: 0 is the Podman user, 1… its
    /// subordinate ids), as libpod's `idmappings`.
    public struct IDMappings: Encodable, Sendable, Equatable {
        public var uids: [IDMap]
        public var gids: [IDMap]
        public init(uids: [IDMap], gids: [IDMap]) {
            self.uids = uids
            self.gids = gids
        }
        enum CodingKeys: String, CodingKey { case uids = "UIDMap", gids = "GIDMap" }
    }

    public struct IDMap: Encodable, Sendable, Equatable {
        public var container: Int
        public var host: Int
        public var size: Int
        public init(container: Int, host: Int, size: Int) {
            self.container = container
            self.host = host
            self.size = size
        }
        enum CodingKeys: String, CodingKey { case container = "container_id", host = "host_id", size }
    }

    /// A POSIX rlimit as libpod's `r_limits` entries take it: `type` is `nproc`, `nofile`, … (Podman adds the `RLIMIT_` prefix).
    public struct RLimit: Encodable, Sendable, Equatable {
        public var type: String
        public var hard: UInt64
        public var soft: UInt64
        public init(_ type: String, _ limit: UInt64) {
            self.type = type
            hard = limit
            soft = limit
        }
    }

    public struct LogConfiguration: Encodable, Sendable, Equatable {
        public var driver: String
        /// Bytes; conmon truncates the file and goes on writing when a write would take it past this.
        public var size: Int64?
        public init(driver: String, size: Int64? = nil) {
            self.driver = driver
            self.size = size
        }
    }

    public enum NetworkMode: Sendable, Equatable {
        case none, slirp4netns, host, bridge
        var nsmode: String {
            switch self {
            case .none: "none"
            case .slirp4netns: "slirp4netns"
            case .host: "host"
            case .bridge: "bridge"
            }
        }
    }

    public struct ResourceLimits: Encodable, Sendable, Equatable {
        public var memoryBytes: Int64?
        public var cpuQuota: Int64?
        public var cpuPeriod: UInt64?
        public var pids: Int64?
        public init(memoryBytes: Int64? = nil, cpus: Double? = nil, pids: Int64? = nil) {
            self.memoryBytes = memoryBytes
            if let cpus {
                cpuPeriod = 100_000
                cpuQuota = Int64(cpus * 100_000)
            }
            self.pids = pids
        }
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: DynamicKey.self)
            if let memoryBytes { try container.encode(["limit": memoryBytes], forKey: "memory") }
            if let cpuQuota, let cpuPeriod { try container.encode(CPU(quota: cpuQuota, period: cpuPeriod), forKey: "cpu") }
            if let pids { try container.encode(["limit": pids], forKey: "pids") }
        }
        struct CPU: Encodable { let quota: Int64; let period: UInt64 }
    }

    enum CodingKeys: String, CodingKey {
        case image, name, command, entrypoint, env, user, labels, volumes, mounts, devices, netns, terminal
        case workDir = "work_dir", resourceLimits = "resource_limits", capDrop = "cap_drop"
        case noNewPrivileges = "no_new_privileges", readOnlyRootFilesystem = "read_only_filesystem", stopTimeout = "stop_timeout"
        case seccompProfilePath = "seccomp_profile_path"
        case userns, idMappings = "idmappings", groups, umask
        case rlimits = "r_limits", logConfiguration = "log_configuration"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(image, forKey: .image)
        try container.encodeIfPresent(name, forKey: .name)
        try container.encodeIfPresent(command, forKey: .command)
        try container.encodeIfPresent(entrypoint, forKey: .entrypoint)
        try container.encode(env, forKey: .env)
        try container.encodeIfPresent(workDir, forKey: .workDir)
        try container.encodeIfPresent(user, forKey: .user)
        try container.encode(labels, forKey: .labels)
        try container.encode(volumes, forKey: .volumes)
        try container.encode(mounts, forKey: .mounts)
        try container.encode(devices, forKey: .devices)
        try container.encode(["nsmode": network.nsmode], forKey: .netns)
        try container.encodeIfPresent(resourceLimits, forKey: .resourceLimits)
        try container.encode(capDrop, forKey: .capDrop)
        try container.encode(noNewPrivileges, forKey: .noNewPrivileges)
        try container.encode(readOnlyRootFilesystem, forKey: .readOnlyRootFilesystem)
        try container.encodeIfPresent(stopTimeout, forKey: .stopTimeout)
        try container.encode(terminal, forKey: .terminal)
        try container.encodeIfPresent(seccompProfilePath, forKey: .seccompProfilePath)
        if let idMappings {
            try container.encode(["nsmode": "private"], forKey: .userns)
            try container.encode(idMappings, forKey: .idMappings)
        }
        if !groups.isEmpty { try container.encode(groups, forKey: .groups) }
        try container.encodeIfPresent(umask, forKey: .umask)
        if !rlimits.isEmpty { try container.encode(rlimits, forKey: .rlimits) }
        try container.encodeIfPresent(logConfiguration, forKey: .logConfiguration)
    }
}

struct DynamicKey: CodingKey, ExpressibleByStringLiteral {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
    init(stringLiteral value: String) { stringValue = value }
}
