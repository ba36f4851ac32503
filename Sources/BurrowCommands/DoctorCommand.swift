import BurrowSystem
import BurrowHTTP
import BurrowPodman
import BurrowKit
import BurrowWeb

/// `burrow doctor`: checks and explains whether Burrow can launch burrows here, with the command
/// that fixes each problem. Exit code 0 only when a launch can work.
public enum DoctorCommand {
    typealias Level = DoctorFinding.Level

    struct Report {
        var failed = false
        mutating func line(_ level: Level, _ subject: String, _ text: String, fix: String? = nil) {
            if level == .fail { failed = true }
            Console.out("\(level.rawValue) \(subject): \(text)")
            if let fix { Console.out("     fix: \(fix)") }
        }
        mutating func add(_ findings: [DoctorFinding]) {
            for finding in findings { line(finding.level, finding.subject, finding.text, fix: finding.fix) }
        }
    }

    public static func run(configPath: String?) async -> Bool {
        var report = Report()
        let config: Config
        do {
            let (loaded, file) = try ConfigLoader.load(explicit: configPath)
            config = loaded
            report.line(.ok, "config", "\(file ?? "built-in defaults"); listen \(config.listen)")
        } catch {
            report.line(.fail, "config", "\(error)", fix: "correct the field named above (see burrow.example.json and the README)")
            return false
        }
        if let podman = searchPath("podman") {
            report.line(.ok, "podman", "installed at \(podman)")
        } else {
            report.line(.warn, "podman", "the podman command is not on PATH (Burrow only needs the API socket)",
                        fix: "sudo apt-get install podman uidmap slirp4netns")
        }
        let client: PodmanClient
        do {
            client = try await PodmanClient.connect(configured: config.podmanSocket)
            let version = try await client.version()
            report.line(.ok, "socket", "\(client.socketPath) answers; Podman \(version.version), API /v\(max(4, version.major)).0.0/libpod")
        } catch {
            report.line(.fail, "socket", "\(error)")
            return false
        }
        await checkPodman(client, config: config, report: &report)
        let podmanOwner = FileSystem.status(client.socketPath)?.owner
        let podmanUser = podmanOwner.map { UserNames.name(of: $0) } ?? "the socket's owner"
        for image in Set([config.image] + config.repos.compactMap(\.image)).sorted() {
            report.add(await DoctorChecks.image(image, podman: client, config: config, podmanUser: podmanUser))
        }
        report.add(DoctorChecks.stateDir(config, podmanUID: podmanOwner))
        report.add(await DoctorChecks.repos(config))
        checkSandbox(config, podmanOwner: podmanOwner, report: &report)
        report.add(await DoctorCredentialCheck.findings(config))
        if let orphans = try? await Orphans.find(podman: client, owners: Orphans.owners(stateDir: config.resolvedStateDir), stateDir: config.resolvedStateDir) {
            let others = orphans.otherInstances > 0 ? " (\(orphans.otherInstances) more belong to other Burrow instances or predate instance labels: left alone)" : ""
            if orphans.isEmpty {
                report.line(.ok, "orphans", "none: every container and volume of this instance (\(orphans.instance)) belongs to a burrow record" + others)
            } else {
                report.line(.warn, "orphans", "this instance's " + orphans.lines.joined(separator: "; ") + others, fix: "burrow gc --dry-run lists what it would remove; burrow gc removes it")
            }
        }
        report.add(await DoctorGPUCheck.findings(config, podman: client))
        report.add(await DoctorRunnerCheck.findings(config, localPodman: client))
        Console.out(report.failed ? "Burrow cannot launch burrows yet: fix the FAIL lines above." : "Burrow can launch burrows.")
        return !report.failed
    }

    static func checkPodman(_ client: PodmanClient, config: Config, report: inout Report) async {
        do {
            let info = try await client.info()
            let owner = FileSystem.status(client.socketPath).map { UserNames.name(of: $0.owner) } ?? "unknown"
            if info.rootless {
                report.line(.ok, "rootless", "yes: Podman runs as user \(owner); root in a burrow is that user's subordinate ids, not host root")
            } else {
                report.line(.warn, "rootless", "no: this Podman runs as root, so a container escape would be host root",
                            fix: "use a rootless Podman: set \"podmanSocket\" to a user's socket, e.g. /run/user/UID/podman/podman.sock")
            }
            report.add(DoctorIDRangeCheck.findings(config, info: info, podmanUser: owner))
            report.add(DoctorStorageCheck.findings(info, podmanUser: owner))
            if info.rootless && info.cgroupVersion == "v1" {
                report.line(.warn, "limits", "cgroups v1 with rootless Podman: memory, CPU and pids limits are ignored (Podman warns at create)",
                            fix: "boot with cgroups v2 (systemd.unified_cgroup_hierarchy=1) to have limits enforced")
            } else {
                report.line(.ok, "limits", "cgroups \(info.cgroupVersion): resource limits can be enforced")
            }
        } catch {
            report.line(.fail, "info", "\(error)")
        }
    }

    /// The sandbox as it stands: whose account a burrow escape would land in, the network.
    static func checkSandbox(_ config: Config, podmanOwner: UInt32?, report: inout Report) {
        if let owner = podmanOwner {
            let name = UserNames.name(of: owner)
            if owner == FileSystem.userID && owner != 0 {
                report.line(.warn, "podman user", "Podman runs as your own account (\(name)): a container escape would reach your files, SSH keys and tokens",
                            fix: "run Burrow's Podman as a dedicated unprivileged user and point \"podmanSocket\" at its socket (README: \"A dedicated Podman user\")")
            } else if owner != 0 {
                report.line(.ok, "podman user", "\(name), not the account running Burrow: an escape lands in that account")
            }
        }
        switch config.network.mode {
        case .allowlist:
            let forwarder = SandboxLayout.forwarderPath(config)
            report.line(.ok, "network", "allowlist: no network of their own; \(config.network.allow.count) allowed host patterns through Burrow's egress proxy")
            if let warning = EgressPolicy.modelHostWarning(config) { report.line(.warn, "network", warning) }
            if FileSystem.status(forwarder)?.isRegular == true {
                report.line(.ok, "forwarder", forwarder)
            } else {
                report.line(.fail, "forwarder", "burrow-forwarder not found at \(forwarder)", fix: "swift build -c release, or set \"forwarderPath\"")
            }
        case .open:
            report.line(.warn, "network", "open: burrows reach any host through Podman's network; an agent could send the code anywhere",
                        fix: "remove \"network\": \"open\" to use the allowlist")
        case .none:
            report.line(.ok, "network", "none: burrows have no network at all (the agent cannot reach the model API either)")
        }
        report.line(.ok, "hardening", "every burrow: non-root \(config.agentUser), all capabilities dropped, no new privileges, /tmp in memory, root filesystem \(config.sandbox.readOnlyRoot == true ? "read-only" : "writable (sandbox.readOnlyRoot: true to lock it)")")
    }

    static func searchPath(_ command: String) -> String? {
        let path = FileSystem.environment("PATH") ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(command)" }.first { FileSystem.status($0)?.isRegular == true }
    }
}

/// Finds CDI spec files (YAML or JSON) that declare a device kind.
public enum CDISpecs {
    public static let directories = ["/etc/cdi", "/var/run/cdi"]

    public static func files(declaringKind kind: String, in directories: [String] = directories) -> [String] {
        directories.flatMap { directory in
            FileSystem.listDirectory(directory).filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") || $0.hasSuffix(".json") }
                .map { directory + "/" + $0 }
                .filter { path in
                    guard let bytes = try? FileSystem.readFile(path, limit: 4 << 20) else { return false }
                    let text = String(decoding: bytes, as: UTF8.self)
                    return text.contains("kind: \(kind)") || text.contains("kind: \"\(kind)\"") || text.contains("\"kind\":\"\(kind)\"")
                        || text.contains("\"kind\": \"\(kind)\"")
                }
        }
    }
}
