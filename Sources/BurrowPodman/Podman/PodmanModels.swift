import BurrowSystem
import BurrowHTTP

/// Podman's answers, decoded leniently: only what Burrow reads, every field optional where Podman
/// versions differ.
public struct CreatedContainer: Decodable, Sendable {
    public let id: String
    public let warnings: [String]
    enum CodingKeys: String, CodingKey { case id = "Id", warnings = "Warnings" }
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        warnings = try container.decodeIfPresent([String].self, forKey: .warnings) ?? []
    }
}

public struct PodmanVersion: Decodable, Sendable {
    public let version: String
    public let apiVersion: String
    enum CodingKeys: String, CodingKey { case version = "Version", apiVersion = "ApiVersion" }

    /// Podman's major version (not the Docker-compatible `ApiVersion`), for the route prefix
    /// (`/v4.0.0/libpod`, `/v5.0.0/libpod`).
    public var major: Int { Int(version.split(separator: ".").first ?? "4") ?? 4 }
}

public struct PodmanInfo: Decodable, Sendable {
    public struct Host: Decodable, Sendable {
        public struct Security: Decodable, Sendable { public let rootless: Bool? }
        public let security: Security?
        public let cgroupVersion: String?
        public let cgroupManager: String?
        /// The kernel's release (`uname -r`).
        public let kernel: String?
        public let ociRuntime: OCIRuntime?
        public struct OCIRuntime: Decodable, Sendable { public let name: String? }
        /// The Podman user's own namespace (rootless): 0 is that user, 1… its subordinate ids.
        public let idMappings: IDMappings?
    }
    public struct IDMappings: Decodable, Sendable {
        public let uidmap: [IDMap]?
        public let gidmap: [IDMap]?
    }
    public struct IDMap: Decodable, Sendable {
        public let container: Int
        public let host: Int
        public let size: Int
        enum CodingKeys: String, CodingKey { case container = "container_id", host = "host_id", size }
    }
    public struct Store: Decodable, Sendable {
        public let graphDriverName: String?
        public let graphRoot: String?
        /// The size and the used bytes of the filesystem under `graphRoot` (Podman 4.1+).
        public let graphRootAllocated: Int64?
        public let graphRootUsed: Int64?
        /// Free bytes of Podman's storage as Podman reports them (nil: not reported).
        public var graphRootFree: Int64? {
            guard let graphRootAllocated, let graphRootUsed else { return nil }
            return graphRootAllocated - graphRootUsed
        }
    }
    public struct Version: Decodable, Sendable { public let Version: String? }
    public let host: Host?
    public let store: Store?
    public let version: Version?

    public var rootless: Bool { host?.security?.rootless ?? false }
    public var cgroupVersion: String { host?.cgroupVersion ?? "unknown" }
}

public struct ContainerInspect: Decodable, Sendable {
    public struct State: Decodable, Sendable {
        public let status: String
        public let running: Bool
        public let exitCode: Int32?
        public let error: String?
        public let oomKilled: Bool?
        public let startedAt: String?
        public let finishedAt: String?
        enum CodingKeys: String, CodingKey {
            case status = "Status", running = "Running", exitCode = "ExitCode", error = "Error", oomKilled = "OOMKilled"
            case startedAt = "StartedAt", finishedAt = "FinishedAt"
        }
    }
    public struct Config: Decodable, Sendable {
        public let labels: [String: String]?
        public let env: [String]?
        public let user: String?
        public let tty: Bool?
        public let workingDir: String?
        public let cmd: [String]?
        enum CodingKeys: String, CodingKey {
            case labels = "Labels", env = "Env", user = "User", tty = "Tty", workingDir = "WorkingDir", cmd = "Cmd"
        }
    }
    public struct MountPoint: Decodable, Sendable {
        public let type: String?
        public let name: String?
        public let source: String?
        public let destination: String?
        public let rw: Bool?
        enum CodingKeys: String, CodingKey { case type = "Type", name = "Name", source = "Source", destination = "Destination", rw = "RW" }
    }
    public struct HostConfig: Decodable, Sendable {
        public let capDrop: [String]?
        public let readonlyRootfs: Bool?
        public let networkMode: String?
        public let securityOpt: [String]?
        enum CodingKeys: String, CodingKey { case capDrop = "CapDrop", readonlyRootfs = "ReadonlyRootfs", networkMode = "NetworkMode", securityOpt = "SecurityOpt" }
    }
    public let id: String
    public let name: String
    public let state: State
    public let config: Config?
    public let mounts: [MountPoint]?
    public let hostConfig: HostConfig?
    enum CodingKeys: String, CodingKey { case id = "Id", name = "Name", state = "State", config = "Config", mounts = "Mounts", hostConfig = "HostConfig" }
}

public struct ContainerSummary: Decodable, Sendable {
    public let id: String
    public let names: [String]
    public let labels: [String: String]?
    public let state: String
    public let exitCode: Int32?
    enum CodingKeys: String, CodingKey { case id = "Id", names = "Names", labels = "Labels", state = "State", exitCode = "ExitCode" }
}

public struct VolumeInfo: Decodable, Sendable {
    public let name: String
    public let labels: [String: String]?
    public let mountpoint: String?
    public let driver: String?
    /// For a volume over an image: the container of Podman's storage that holds its layer.
    public let storageID: String?
    enum CodingKeys: String, CodingKey { case name = "Name", labels = "Labels", mountpoint = "Mountpoint", driver = "Driver", storageID = "StorageID" }
}

public struct PodmanEvent: Decodable, Sendable {
    public struct Actor: Decodable, Sendable {
        public let id: String?
        public let attributes: [String: String]?
        enum CodingKeys: String, CodingKey { case id = "ID", attributes = "Attributes" }
    }
    public let type: String?
    public let action: String
    public let actor: Actor?
    /// When it happened; with the actor and action it tells one event from Podman's repeat of it (its
    /// file-backed event log replays what it kept after a rotation to a reader that was streaming).
    public let timeNano: Int64?
    enum CodingKeys: String, CodingKey { case type = "Type", action = "Action", actor = "Actor", timeNano }

    public var exitCode: Int32? { actor?.attributes?["containerExitCode"].flatMap { Int32($0) } }
}

struct PodmanErrorBody: Decodable {
    let cause: String?
    let message: String?
}

public struct ImageInspect: Decodable, Sendable {
    public struct Config: Decodable, Sendable {
        public let user: String?
        public let labels: [String: String]?
        public let workingDir: String?
        enum CodingKeys: String, CodingKey { case user = "User", labels = "Labels", workingDir = "WorkingDir" }
    }
    public let id: String
    public let repoTags: [String]?
    public let config: Config?
    enum CodingKeys: String, CodingKey { case id = "Id", repoTags = "RepoTags", config = "Config" }
}

public struct ImageSummary: Decodable, Sendable {
    public let id: String
    public let names: [String]?
    public let labels: [String: String]?
    /// Unix seconds.
    public let created: Int64?
    enum CodingKeys: String, CodingKey { case id = "Id", names = "Names", labels = "Labels", created = "Created" }
}
