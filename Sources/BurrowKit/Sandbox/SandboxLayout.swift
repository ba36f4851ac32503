import BurrowSystem
import BurrowPodman

/// How every burrow is closed in, applied to its container spec: no capabilities, no new
/// privileges, non-root, `/tmp` in memory, optionally a read-only root; with the allowlist network,
/// no network namespace of its own and the proxy environment pointing at `burrow-forwarder`.
public enum SandboxLayout {
    /// Where the burrow's egress socket directory is mounted (read-only) inside the container.
    public static let socketDirectory = "/run/burrow"
    public static let socketName = "proxy.sock"
    public static let forwarderInside = "/run/burrow-forwarder"
    public static let proxyAddress = "127.0.0.1:3128"
    public static let proxyURL = "http://127.0.0.1:3128"

    /// Environment names that must never carry a real credential into a burrow.
    public static let secretNames: Set<String> = ["ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN"]

    /// `stateDir` holds the seccomp profile (in `run/`, which Podman's user can traverse).
    /// Podman's default seccomp profile plus the rule against nested user namespaces, written into
    /// the state dir once; nil when the config allows nested namespaces.
    /// `nestedContainers`: the profile that lets Podman inside build (`SeccompProfile.allowingChroot`).
    static func seccompProfile(sandbox: SandboxConfig, nestedContainers: Bool = false, stateDir: String) throws -> String? {
        guard sandbox.allowNestedNamespaces != true || nestedContainers else { return nil }
        FileSystem.setMode(stateDir, 0o711)
        try FileSystem.createDirectories(stateDir + "/run", mode: 0o711)
        return try SeccompProfile.install(in: stateDir + "/run", nestedContainers: nestedContainers)
    }

    package static func harden(_ spec: inout ContainerSpec, sandbox: SandboxConfig, seccompProfile: String?, tmpfsBytes: Int64 = 1 << 30) {
        spec.seccompProfilePath = seccompProfile
        spec.capDrop = ["ALL"]
        spec.noNewPrivileges = true
        spec.readOnlyRootFilesystem = sandbox.readOnlyRoot ?? false
        spec.mounts.append(.tmpfs(at: "/tmp", options: ["rw", "nosuid", "nodev", "size=\(tmpfsBytes)"]))
    }

    /// Runs the agent under `burrow-forwarder` (mounted read-only), which hands it its task on
    /// standard input when `stdinPath` is given (so the task is in no process's arguments on the host).
    static func runUnderForwarder(_ spec: inout ContainerSpec, forwarder: String, stdinPath: String?) {
        spec.mounts.append(.bind(forwarder, at: forwarderInside))
        spec.entrypoint = [forwarderInside, "--listen", "none"] + (stdinPath.map { ["--stdin", $0] } ?? []) + ["--"]
    }

    /// Routes the agent's network through the burrow's egress socket (its folder mounted read-only):
    /// with the forwarder, the only host paths a burrow sees.
    static func routeThroughProxy(_ spec: inout ContainerSpec, socketDirectory: String) {
        spec.network = .none
        spec.mounts.append(.bind(socketDirectory, at: Self.socketDirectory))
        if let listen = spec.entrypoint?.firstIndex(of: "--listen") {
            spec.entrypoint?.replaceSubrange(listen...(listen + 1), with: ["--listen", proxyAddress, "--to", Self.socketDirectory + "/" + socketName])
        }
        for name in ["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"] { spec.env[name] = proxyURL }
        spec.env["NO_PROXY"] = "localhost,127.0.0.1,::1"
        spec.env["no_proxy"] = "localhost,127.0.0.1,::1"
        // Node 24+ uses the variables above only when told to (the image's Node 18 ignores both).
        spec.env["NODE_USE_ENV_PROXY"] = "1"
        spec.env["ANTHROPIC_BASE_URL"] = proxyURL
        spec.env["ANTHROPIC_API_KEY"] = Credential.placeholder
    }

    /// The configured forwarder, or the one beside the running executable.
    public static func forwarderPath(_ config: Config) -> String {
        config.forwarderPath.isEmpty ? defaultForwarderPath() : config.forwarderPath
    }

    /// `burrow-forwarder` beside the running executable (the `burrow` binary, or the test bundle).
    public static func defaultForwarderPath() -> String { besideExecutable("burrow-forwarder") }

    static func besideExecutable(_ name: String) -> String {
        let executable = FileSystem.realPath("/proc/self/exe") ?? ""
        let directory = executable.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        return directory + "/" + name
    }
}
