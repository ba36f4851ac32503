import FoundationEssentials
import BurrowSystem
import BurrowHTTP
import BurrowPodman
import BurrowKit

/// `burrow init`: writes a config that works here — the repos given checked (git repositories with a
/// commit), the Podman socket found, the state dir reachable by Podman's user, the credential taken
/// from where it already is — and says what is still missing. Never overwrites a file.
public enum InitCommand {
    struct Written: Encodable {
        let listen: String
        let stateDir: String
        let podmanSocket: String
        let repos: [Repo]
        /// Absent when none was found: `serve` refuses a credential it cannot read.
        let credentials: Credentials?
        struct Repo: Encodable { let name: String; let path: String }
        struct Credentials: Encodable { let anthropic: CredentialsConfig.Source }
    }

    /// `socket`: the Podman API socket to use (a dedicated Podman user's); found when nil.
    public static func run(configPath: String?, port: UInt16?, repos paths: [String], socket given: String? = nil,
                           environment: (String) -> String? = FileSystem.environment) async -> Bool {
        let path = configPath ?? FileSystem.homeDirectory + "/.config/burrow/burrow.json"
        guard !FileSystem.exists(path) else {
            Console.error("burrow init: \(path) exists; Burrow never overwrites a config: edit it (`burrow doctor --config \(path)` checks it), or write another with --config OTHER.json")
            return false
        }
        var config = Config()
        do { try QuickFlags.apply(port: port, repos: paths, to: &config) } catch {
            Console.error("burrow init: \(error)\nnothing written")
            return false
        }
        var findings = await DoctorChecks.repos(config)
        if findings.contains(where: { $0.level == .fail }) {
            report(findings)
            Console.error("burrow init: a repository cannot be launched on; nothing written")
            return false
        }
        if let given, FileSystem.status(given)?.isSocket != true {
            Console.error("burrow init: --podman-socket \(given) is not a socket: start that Podman's API service first (README: \"A dedicated Podman user\"); nothing written")
            return false
        }
        let socket = given ?? PodmanSocket.candidates(configured: "auto", environment: environment).first(where: FileSystem.exists)
        if let socket {
            findings.append(DoctorFinding(.ok, "podman", "socket \(socket)"))
            findings += DoctorChecks.stateDir(config, podmanUID: FileSystem.status(socket)?.owner)
        } else {
            findings.append(DoctorFinding(.warn, "podman", "no Podman API socket found (\(PodmanSocket.candidates(configured: "auto", environment: environment).joined(separator: ", "))); \"podmanSocket\" stays \"auto\"",
                                          fix: "systemctl --user enable --now podman.socket, or: podman system service --time=0 unix://$XDG_RUNTIME_DIR/podman/podman.sock & (README: \"A dedicated Podman user\")"))
        }
        let (credential, note) = credentialSource(environment: environment)
        findings.append(note)
        if paths.isEmpty {
            findings.append(DoctorFinding(.warn, "repos", "none yet", fix: "add some to \"repos\" in \(path), or start with `burrow serve --repo PATH`"))
        }
        let written = Written(listen: config.listen, stateDir: config.stateDir, podmanSocket: socket ?? "auto",
                              repos: config.repos.map { Written.Repo(name: $0.name, path: $0.path ?? "") },
                              credentials: credential.map { Written.Credentials(anthropic: $0) })
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let bytes = Array(try encoder.encode(written)) + [0x0A]
            _ = try ConfigLoader.parse(bytes, file: path)  // what is written is what `serve` accepts
            try FileSystem.createDirectories(String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)]), mode: 0o700)
            guard !FileSystem.exists(path) else { throw ConfigError(field: "", reason: "appeared while init ran; not overwritten", file: path) }
            try FileSystem.writeAtomically(bytes, to: path, mode: 0o600)
        } catch {
            Console.error("burrow init: cannot write \(path): \(error)")
            return false
        }
        report(findings)
        let flag = configPath.map { " --config \($0)" } ?? ""
        Console.out("""
            wrote \(path)
            next: burrow image build\(flag)   (the agent image, once)
                  burrow doctor\(flag)
                  burrow serve\(flag)
                  burrow run \(config.repos.first?.name ?? "REPO") "your task" --follow\(flag)
            """)
        return true
    }

    /// Where the model credential comes from: an API key or subscription token already in the
    /// environment, or `~/.config/burrow/key`; otherwise none, and how to get one.
    static func credentialSource(environment: (String) -> String?) -> (CredentialsConfig.Source?, DoctorFinding) {
        for name in ["ANTHROPIC_API_KEY", "CLAUDE_CODE_OAUTH_TOKEN"] where environment(name)?.isEmpty == false {
            return (CredentialsConfig.Source(env: name), DoctorFinding(.ok, "credential", "from $\(name) (set it for `burrow serve` too)"))
        }
        let keyFile = "~/.config/burrow/key"
        if FileSystem.exists(FileSystem.homeDirectory + "/.config/burrow/key") {
            return (CredentialsConfig.Source(file: keyFile), DoctorFinding(.ok, "credential", "from the file \(keyFile) (first line: an API key, or a subscription token sk-ant-oat…)"))
        }
        return (nil, DoctorFinding(.warn, "credential", "none found (no $ANTHROPIC_API_KEY, $CLAUDE_CODE_OAUTH_TOKEN or \(keyFile)): the config has no \"credentials\" yet, so the agent's model calls cannot succeed",
            fix: "an API key: export ANTHROPIC_API_KEY=sk-ant-… and add \"credentials\": {\"anthropic\": {\"env\": \"ANTHROPIC_API_KEY\"}}; a Claude subscription: run `claude setup-token`, put the sk-ant-oat… token it prints in \(keyFile) (chmod 600) and add \"credentials\": {\"anthropic\": {\"file\": \"\(keyFile)\"}}. Either way Burrow adds it outside the burrows; it never enters one"))
    }

    static func report(_ findings: [DoctorFinding]) {
        for finding in findings {
            Console.out("\(finding.level.rawValue) \(finding.subject): \(finding.text)" + (finding.fix.map { "\n     fix: \($0)" } ?? ""))
        }
    }
}
