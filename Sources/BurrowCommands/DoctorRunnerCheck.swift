import BurrowWeb
import BurrowKit
import BurrowSystem
import BurrowHTTP
import BurrowPodman

/// `burrow doctor` for each remote runner: the key file, the host key, SSH itself (with the reason
/// OpenSSH gave), the runner's Podman (version, rootless), the agent image there, and for a `gpu`
/// runner its CDI devices. Each check
/// connects as Burrow will, through its own short-lived SSH master in a private temporary folder.
package enum DoctorRunnerCheck {
    static func findings(_ config: Config, localPodman: PodmanClient?, timeout: Duration = .seconds(15)) async -> [DoctorFinding] {
        var findings: [DoctorFinding] = []
        for runner in config.allRunners where !runner.isLocal {
            findings += await check(runner, config: config, localPodman: localPodman, timeout: timeout)
        }
        return findings
    }

    static func check(_ runner: RunnerConfig, config: Config, localPodman: PodmanClient?, timeout: Duration) async -> [DoctorFinding] {
        let subject = "runner \(runner.name)"
        guard let destination = try? runner.destination(), let identity = runner.identityFile.map(Config.expandHome) else {
            return [DoctorFinding(.fail, subject, "no ssh destination or identityFile", fix: "see \"runners\" in burrow.example.json")]
        }
        let login = "\(destination.user)@\(destination.host)"
        var findings: [DoctorFinding] = []
        guard let key = FileSystem.status(identity), key.isRegular else {
            return [DoctorFinding(.fail, subject, "identity file \(identity) is missing",
                                  fix: "ssh-keygen -t ed25519 -N '' -f \(identity) && ssh-copy-id -i \(identity).pub -p \(destination.port) \(login)")]
        }
        if key.mode & 0o077 != 0 {
            findings.append(DoctorFinding(.fail, subject, "identity file \(identity) is readable by others (OpenSSH refuses it)", fix: "chmod 600 \(identity)"))
        }
        let keyscan = "ssh-keyscan -p \(destination.port) -t ed25519 \(destination.host)"
        if let file = runner.knownHostsFile.map(Config.expandHome), !FileSystem.exists(file) {
            return findings + [DoctorFinding(.fail, subject, "knownHostsFile \(file) is missing: Burrow never accepts an unknown host key",
                                             fix: "\(keyscan) > \(file)   (then compare the fingerprint with the runner's own: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub there)")]
        }
        guard let folder = try? FileSystem.makeTemporaryDirectory("burrow-doctor-runner") else { return findings }
        defer { FileSystem.removeTree(folder) }
        let made: Runner
        do {
            made = try Runner(remote: runner, stateDir: folder, labels: [:])
            made.start()
        } catch {
            return findings + [DoctorFinding(.fail, subject, "\(error)")]
        }
        guard let tunnel = made.remote?.tunnel else { return findings }
        // The first failure OpenSSH reports is the answer (the tunnel would retry it forever).
        let deadline = Monotonic.after(timeout)
        while !tunnel.isConnected, tunnel.lastError == nil, Monotonic.now() < deadline { try? await Task.sleep(for: .milliseconds(30)) }
        guard tunnel.isConnected else {
            let reason = tunnel.lastError ?? "no connection within \(timeout)"
            findings.append(DoctorFinding(.fail, subject, "ssh \(login) -p \(destination.port): \(reason)", fix: sshFix(reason, port: destination.port, login: login, keyscan: keyscan, identity: identity)))
            await tunnel.shutdown()
            return findings
        }
        findings.append(DoctorFinding(.ok, subject, "ssh \(login) -p \(destination.port) with host key checked; Podman socket forwarded"))
        do {
            let version = try await made.podman.version()
            let info = try await made.podman.info()
            findings.append(DoctorFinding(.ok, subject, "Podman \(version.version) on the runner, cgroups \(info.cgroupVersion)"))
            if !info.rootless {
                findings.append(DoctorFinding(.warn, subject, "the runner's Podman runs as root: a container escape there is root on the runner",
                                              fix: "give Burrow a rootless user on the runner (its podmanSocket: /run/user/UID/podman/podman.sock)"))
            }
            findings.append(sharedMapping(info, config: config, subject: subject, user: destination.user))
            if (try? await tunnel.command("podman unshare true")) == nil {
                findings.append(DoctorFinding(.fail, subject, "\(destination.user) cannot run `podman unshare` on the runner: Burrow needs it to give each burrow's egress socket to the burrow's agent uid alone",
                                              fix: "on the runner: put Podman's command on \(destination.user)'s PATH and give it subordinate ids (/etc/subuid, /etc/subgid), then check: podman unshare true"))
            }
            if (try? await tunnel.command("command -v nsenter")) == nil {
                findings.append(DoctorFinding(.warn, subject, "no `nsenter` for \(destination.user) on the runner: previews of its burrows cannot reach their network namespace",
                                              fix: "on the runner: install util-linux (it has nsenter)"))
            }
            for image in Set([config.image] + config.repos.compactMap(\.image)).sorted() where try await !made.podman.imageExists(image) {
                let local = try? await localPodman?.imageExists(image)
                findings.append(local == true
                    ? DoctorFinding(.ok, subject, "\(image) is not on the runner yet: the first launch there copies it from the local Podman through the API")
                    : DoctorFinding(.fail, subject, "\(image) is on neither the runner nor the local Podman", fix: "burrow image build (locally; launches copy it to the runner)"))
            }
            // A GPU runner's CDI devices, resolved by its own Podman starting a container with them.
            if runner.labels?.contains("gpu") == true, try await made.podman.imageExists(config.image) {
                var gpu = await DoctorGPUCheck.resolve(config, podman: made.podman, level: .fail)
                gpu.subject = subject + " gpu"
                if gpu.level == .fail { gpu.fix = "on the runner: sudo nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml, and check \"gpuDevices\" (nvidia-ctk cdi list)" }
                findings.append(gpu)
            }
        } catch {
            findings.append(DoctorFinding(.fail, subject, "the runner's Podman does not answer through SSH: \(error)",
                                          fix: "on the runner, as \(destination.user): systemctl --user enable --now podman.socket && loginctl enable-linger \(destination.user)"))
        }
        await tunnel.shutdown()
        return findings
    }

    /// Per-burrow id ranges are cut from the local Podman user's subordinate ids only: a runner's
    /// burrows share its Podman's default mapping (the README's "Remote runners" says what differs).
    static func sharedMapping(_ info: PodmanInfo, config: Config, subject: String, user: String) -> DoctorFinding {
        let ids = (info.host?.idMappings?.uidmap ?? []).filter { $0.container > 0 }.reduce(0) { $0 + $1.size }
        let text = "burrows on this runner share one id mapping (its Podman's default over the \(ids) subordinate ids of \(user)): unlike local burrows "
            + "they run as the same host uids as each other; each one's egress socket there is still its agent uid's alone (a 0700 folder)"
        guard config.sandbox.perBurrowIDs else { return DoctorFinding(.ok, subject, text) }
        return DoctorFinding(.warn, subject, text,
                             fix: "keep repos whose burrows must not share host uids on the local runner (runners[].repos of this runner without them)")
    }

    /// The fix for what OpenSSH said.
    static func sshFix(_ reason: String, port: Int, login: String, keyscan: String, identity: String) -> String {
        if reason.contains("Host key verification failed") || reason.contains("REMOTE HOST IDENTIFICATION HAS CHANGED") {
            return "the runner's host key is not the one configured: check it (\(keyscan)), compare its fingerprint with the runner's own, then set \"hostKey\""
        }
        if reason.contains("Permission denied") {
            return "authorise Burrow's key on the runner: ssh-copy-id -i \(identity).pub -p \(port) \(login)"
        }
        if reason.contains("forward") || reason.contains("prohibited") {
            return "allow forwarding in the runner's sshd_config: AllowTcpForwarding yes and AllowStreamLocalForwarding yes (Burrow forwards Unix sockets only), then reload sshd"
        }
        return "check that sshd runs on the runner and that this host reaches it: ssh -p \(port) \(login) true"
    }
}
