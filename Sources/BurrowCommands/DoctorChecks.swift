import BurrowSystem
import BurrowHTTP
import BurrowPodman
import BurrowKit
import BurrowWeb
/// `burrow doctor`'s checks of what a launch will meet: the state dir as Podman's user sees it, the
/// repos, what the agent image holds, and the GPU devices as Podman resolves them.
public enum DoctorChecks {
    /// Podman's user must traverse every folder down to the state dir (it mounts socket folders from it).
    public static func stateDir(_ config: Config, podmanUID: UInt32?) -> [DoctorFinding] {
        let path = config.resolvedStateDir
        guard let uid = podmanUID else { return [DoctorFinding(.warn, "state dir", "\(path): Podman's user is unknown, its access not checked")] }
        guard let problem = StateDirAccess.problem(stateDir: path, podmanUID: uid) else {
            return [DoctorFinding(.ok, "state dir", "\(path): reachable by Podman's user \(UserNames.name(of: uid))")]
        }
        return [DoctorFinding(.fail, "state dir", problem.text, fix: problem.fix)]
    }

    /// Each repo's path is a git repository and its ref exists (as `git clone --branch` will want it).
    public static func repos(_ config: Config) async -> [DoctorFinding] {
        var findings: [DoctorFinding] = []
        for repo in config.repos {
            let subject = "repo \(repo.name)"
            guard repo.path != nil else {
                findings.append(DoctorFinding(.ok, subject, "\(repo.source) (a URL: not contacted by doctor)"))
                continue
            }
            let path = repo.source
            guard FileSystem.status(path)?.isDirectory == true else {
                findings.append(DoctorFinding(.fail, subject, "\(path) does not exist or is not a folder", fix: "correct repos[].path for \(repo.name)"))
                continue
            }
            let head = try? await Subprocess.run(["git", "-C", path, "rev-parse", "--verify", "--quiet", "HEAD^{commit}"])
            guard head?.succeeded == true else {
                let detail = head.map { $0.stderr.split(separator: "\n").first.map(String.init) ?? "" } ?? ""
                findings.append(DoctorFinding(.fail, subject, "\(path) is not a git repository with a commit \(detail)",
                                              fix: "point repos[].path at a git checkout (git init; git commit)"))
                continue
            }
            if let ref = repo.ref {
                let found = try? await Subprocess.run(["git", "ls-remote", "--exit-code", path, "refs/heads/\(ref)", "refs/tags/\(ref)"])
                guard found?.succeeded == true else {
                    findings.append(DoctorFinding(.fail, subject, "\(path) has no branch or tag '\(ref)'", fix: "correct repos[].ref (a branch or tag name) or create it"))
                    continue
                }
            }
            findings.append(DoctorFinding(.ok, subject, "\(path)\(repo.ref.map { " at \($0)" } ?? "")"))
        }
        return findings
    }

    /// Runs the image as the agent's user: does the user exist, is the agent's program on its PATH?
    /// `podmanUser` names who must build a missing image.
    public static func image(_ image: String, podman: PodmanClient, config: Config, podmanUser: String) async -> [DoctorFinding] {
        let subject = "image \(image)"
        do {
            guard try await podman.imageExists(image) else {
                return [DoctorFinding(.fail, subject, "not present in the Podman of \(podmanUser) (\(podman.socketPath))",
                                      fix: "burrow image build --tag \(image) (builds images/agent-debian into that Podman through its API), or as \(podmanUser): podman build -t \(image) images/agent")]
            }
            let program = config.agentCommand.first ?? "claude"
            var spec = ContainerSpec(image: image)
            spec.entrypoint = ["/bin/sh", "-c", probeScript, program]
            spec.command = []
            spec.user = config.agentUser
            spec.workDir = "/workspace"
            SandboxLayout.harden(&spec, sandbox: config.sandbox, seccompProfile: nil)
            let outcome = try await ContainerProbe.run(podman, spec: spec, workspaceVolume: true)
            let said = outcome.output.split(separator: "\n").map(String.init).filter { $0.hasPrefix("burrow-doctor: ") }
                .map { String($0.dropFirst(15)) }.joined(separator: "; ")
            switch outcome.exitCode {
            case 0?: return [DoctorFinding(.ok, subject, "as \(config.agentUser): \(said)")]
            case 3?: return [DoctorFinding(.fail, subject, "the agent's program: \(said)", fix: "build the image with it (burrow image build), or correct \"agentCommand\"")]
            case let code?: return [DoctorFinding(.fail, subject, "the check as \(config.agentUser) exited \(code): \(outcome.output.prefix(300))")]
            case nil: return [DoctorFinding(.fail, subject, "a container as \(config.agentUser) could not start (no such user, or no /bin/sh?): \(outcome.startError ?? "")",
                                            fix: "the image needs the user \"\(config.agentUser)\" (agentUser) and /bin/sh")]
            }
        } catch {
            return [DoctorFinding(.fail, subject, "\(error)")]
        }
    }

    /// `$0` is the agent's program. Exit 3: not found. Who owns the image's /workspace does not matter:
    /// a launch mounts a workspace volume owned by the agent's uid there (a root-owned one is fine).
    static let probeScript = """
    if ! found=$(command -v "$0" 2>/dev/null); then echo "burrow-doctor: $0 not found on PATH ($PATH)"; exit 3; fi
    echo "burrow-doctor: $0 is $found"
    echo "burrow-doctor: uid $(id -u), who gets a workspace of its own at /workspace"
    """
}
