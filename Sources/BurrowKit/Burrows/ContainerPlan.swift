import BurrowSystem
import BurrowPodman

/// What a burrow's turn runs as, worked out from the configuration and the record alone: a pure value,
/// so its rules (command, volumes, sandbox, proxy) are tested without Podman.
struct ContainerPlan: Equatable {
    /// Where Claude Code keeps its state (sessions, settings) in a burrow: a volume of the burrow's own.
    static let claudeConfigDirectory = "/burrow/claude"
    static let mcpConfigPath = claudeConfigDirectory + "/burrow-mcp.json"
    /// Where the turn's task (or message) waits for the forwarder to hand it to the agent's stdin.
    static func taskPath(turn: Int) -> String { claudeConfigDirectory + "/.burrow-task-\(turn)" }

    let spec: ContainerSpec
    /// Cache volumes the container mounts (created on first use): the repo's own, and global ones.
    let caches: [CacheConfig]

    /// `instance`: the labels every container of this Burrow carries (its state dir's identity).
    /// `seccompProfile`: the profile file that refuses nested user namespaces (nil: Podman's default).
    /// `cgroupsV2`: Podman enforces cgroup limits (a pids limit then backs `limits.processes` up).
    /// `check`: the repo's check runs instead of the agent, in a container of its own (`name`).
    init(config: Config, record: BurrowRecord, repo: RepoConfig, socketDirectory: String, forwarderPath: String,
         instance: [String: String] = [:], seccompProfile: String? = nil, cgroupsV2: Bool = false, check: (name: String, command: [String])? = nil) {
        let caches = Self.caches(config: config, repo: repo)
        var spec = ContainerSpec(image: repo.image ?? config.image)
        spec.name = check?.name ?? record.container
        spec.command = check?.command ?? Self.agentArguments(config: config, record: record, repo: repo)
        spec.user = config.agentUser
        spec.workDir = "/workspace"
        spec.labels = instance.merging(["io.burrow.id": record.id, "io.burrow.repo": record.repo, "io.burrow.turn": String(record.turn)]
            .merging(BurrowManager.idsLabels(record)) { $1 }) { $1 }
        spec.env = config.env.merging(repo.env ?? [:]) { $1 }
        spec.env["CLAUDE_CONFIG_DIR"] = Self.claudeConfigDirectory
        if let model = record.agentModel { spec.env["ANTHROPIC_MODEL"] = model }
        // The workspace's root belongs to the box's root (see Crossing.enter): git in the box must not
        // refuse it as "dubious ownership". Environment config counts as the command line's.
        spec.env["GIT_CONFIG_COUNT"] = "1"
        spec.env["GIT_CONFIG_KEY_0"] = "safe.directory"
        spec.env["GIT_CONFIG_VALUE_0"] = "*"
        spec.volumes = [.init(name: record.workspaceVolume, destination: "/workspace"),
                        .init(name: record.configVolume, destination: Self.claudeConfigDirectory)]
            + caches.map { .init(name: $0.volumeName(repo: record.repo), destination: $0.path) }
        if record.nestedContainers == true { NestedContainers.apply(&spec, volume: record.containersVolume) }
        if let devcontainer = record.devcontainer {
            // Every turn is a new container: its setup commands run again before the agent.
            devcontainer.apply(to: &spec, runSetup: true)
            if let user = devcontainer.user { spec.user = user }
        }
        if let ids = record.ids {
            spec.idMappings = ids.mappings
            spec.groups = [String(ids.cacheGroupInside)]
            spec.umask = BurrowIDRanges.umask
        }
        if record.gpu { spec.devices = config.gpuDevices.map(ContainerSpec.Device.init) }
        spec.network = config.network.mode == .open ? .slirp4netns : .none
        SandboxLayout.harden(&spec, sandbox: config.sandbox, seccompProfile: seccompProfile)
        if config.sandbox.allowRoot == true {
            // sudo in the image needs setuid to work: Podman's default (rootless-mapped) capabilities.
            spec.capDrop = []
            spec.noNewPrivileges = false
        }
        SandboxLayout.runUnderForwarder(&spec, forwarder: forwarderPath,
                                        stdinPath: config.taskInput == .stdin && check == nil ? Self.taskPath(turn: record.turn) : nil)
        if config.network.mode == .allowlist {
            SandboxLayout.routeThroughProxy(&spec, socketDirectory: socketDirectory)
            BoxTrust.apply(&spec, socketDirectory: socketDirectory, services: ServiceCredential.services(config.credentials, repo: repo.narrowed(by: record)), burrow: record.id)
        }
        if config.limits.hasCgroupLimits || cgroupsV2 {
            // Where cgroups v2 holds Podman's pids limit, it backs `processes` up (counting every uid).
            spec.resourceLimits = .init(memoryBytes: config.limits.memoryBytes, cpus: config.limits.cpus,
                                        pids: config.limits.pids ?? (cgroupsV2 ? Int64(config.limits.processLimit) : nil))
        }
        // Counted per uid (per user namespace): with per-burrow id ranges, a bound on this burrow
        // alone, which holds where rootless cgroups v1 ignores the pids limit (see README).
        spec.rlimits = [.init("nproc", UInt64(config.limits.processLimit))]
        spec.logConfiguration = Self.podmanLog(config.limits)
        spec.stopTimeout = 10
        self.spec = spec
        self.caches = caches
    }

    /// Podman's own copy of the output (k8s-file, which Burrow reads to catch up after a restart and
    /// to reconcile after the exit), bounded: conmon starts the file over past this size. Twice the
    /// event log's cap, because a line costs Podman's file at most twice what it costs the event log
    /// (timestamp and stream against sequence and kind): the event log is full, and reconciling stops,
    /// before Podman's file can have lost a line Burrow still needs.
    static func podmanLog(_ limits: LimitsConfig) -> ContainerSpec.LogConfiguration {
        .init(driver: "k8s-file", size: 2 * limits.eventLogBytes)
    }

    /// The shared cache volumes a burrow of `repo` mounts.
    static func caches(config: Config, repo: RepoConfig) -> [CacheConfig] { config.caches + (repo.caches ?? []) }

    static func mcpServers(config: Config, repo: RepoConfig) -> [String: JSONValue] {
        config.mcpServers.merging(repo.mcpServers ?? [:]) { $1 }
    }

    /// What the agent is asked this turn: the task, then each follow-up message.
    static func prompt(_ record: BurrowRecord) -> String { record.turn == 1 ? record.task : record.message ?? "" }

    /// The agent's command for the record's current turn: the task's command or a follow-up resuming
    /// the session; the prompt is its last argument only with `taskInput: "argument"` (else stdin).
    static func agentArguments(config: Config, record: BurrowRecord, repo: RepoConfig) -> [String] {
        var command = record.turn == 1 ? record.agentCommand ?? config.agentCommand
            : config.resumeCommand.map { $0.replacingOccurrences("{sessionID}", with: record.sessionID ?? "") }
        if config.taskInput == .argument { command.append(prompt(record)) }
        if !mcpServers(config: config, repo: repo).isEmpty { command.insert(contentsOf: ["--mcp-config", mcpConfigPath], at: 1) }
        return command
    }
}
