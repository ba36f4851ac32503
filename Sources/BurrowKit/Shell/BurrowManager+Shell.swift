import FoundationEssentials
import BurrowSystem
import BurrowHTTP
import BurrowPodman

/// `burrow shell` and `burrow exec`: a person's command in a burrow, through Podman's exec API, as
/// the agent's user with the agent's environment, limits, network and sandbox. A running burrow's
/// command runs in its container; a finished one's in a copy of its last turn's container on the same
/// volumes (its command idles instead of running the agent), removed when the session ends. What the
/// person types is theirs: only that a session opened and closed goes into the burrow's events.
extension BurrowManager {
    /// Where a session will run, checked before the connection is taken over (so that an unknown or
    /// torn-down burrow is an ordinary HTTP error).
    public struct ShellTarget: Sendable {
        public let id: String
        let container: String
        let running: Bool
        let podman: PodmanClient
        /// Its Podman shares this host's process table (`ExecHangup`).
        var local = true
    }

    public func shellTarget(_ id: String) throws(BurrowError) -> ShellTarget {
        let record = try record(id)
        if record.tornDown || claims[id] == .tearingDown {
            throw .conflict("burrow \(id) was torn down", detail: "its container and workspace are gone; launch a new burrow (its record and result remain)")
        }
        switch record.state {
        case .queued, .preparing:
            throw .conflict("burrow \(id) is \(record.state.rawValue)", detail: "its container does not run yet; try again once it is running")
        case .running:
            return ShellTarget(id: id, container: record.container, running: true, podman: podman(for: id),
                               local: runner(for: id)?.remote == nil)
        case .succeeded, .failed, .stopped:
            if runner(for: id)?.remote != nil {
                throw .conflict("burrow \(id) ran on runner \(record.runner ?? "?")", detail: "a shell in a finished burrow works on the local runner only")
            }
            return ShellTarget(id: id, container: record.container, running: false, podman: podman(for: id))
        }
    }

    /// Runs one session on the taken-over `client` connection; every failure after the takeover goes
    /// to the client as one `failure` frame.
    public nonisolated func runShell(_ target: ShellTarget, command: [String], environment: [String] = [], tty: Bool, client: UpgradedConnection) async {
        let podman = target.podman
        var copy: String?
        var code: Int32?
        do {
            let container = target.running ? target.container : try await startShellCopy(target.id)
            if !target.running { copy = container }
            await noteShell(target.id, ["action": "opened", "mode": tty ? "shell" : "exec", "in": target.running ? "running container" : "copy of the finished container"])
            let exec = try await podman.createExec(container, ExecSpec(command: command, tty: tty, environment: environment))
            let box = try await podman.startExec(exec, tty: tty)
            var bridge = ShellBridge(podman: podman, execID: exec, tty: tty)
            if let copy { bridge.finishing = { await Self.removeCopy(copy, podman: podman) } }
            if target.local { bridge.hangUp = { await ExecHangup.hangUp(podman: podman, container: container, execID: exec) } }
            code = await bridge.run(client: client, box: box)
        } catch {
            let line = (error as? PodmanError)?.description ?? "\(error)"
            try? await client.socket.write(ShellFrame.failure("Podman refused the session: " + line.split(separator: "\n").joined(separator: " ")).encoded)
        }
        if let copy { await Self.removeCopy(copy, podman: podman) }
        await noteShell(target.id, ["action": "closed", "exitCode": code.map { String($0) } ?? "unknown"])
    }

    /// The finished burrow's last container again, from its plan, with an idle command in place of
    /// the agent: same image, user, environment, volumes, limits, id mapping and hardening. With the
    /// allowlist its proxy is gone, so the copy has no network at all.
    func startShellCopy(_ id: String) async throws -> String {
        guard let record = records[id], !record.tornDown, claims[id] != .tearingDown else { throw BurrowError.conflict("burrow \(id) was torn down") }
        // Counted before the first await, so that a teardown is refused until the copy exists (then
        // it is removed with the burrow's containers): created while its volumes were being removed,
        // Podman would make them again, empty, and the removal would take their folders.
        openingShells[id, default: 0] += 1
        defer { openingShells[id] = openingShells[id].flatMap { $0 > 1 ? $0 - 1 : nil } }
        guard let repo = config.repo(named: record.repo) else {
            throw BurrowError.conflict("burrow \(id)'s repo \(record.repo) is not in the configuration any more", detail: "a shell needs its container settings")
        }
        var settings = config
        if settings.network.mode == .allowlist { settings.network.mode = .none }
        let podman = podman(for: id)
        let plan = ContainerPlan(config: settings, record: record, repo: repo, socketDirectory: socketsDirectory + "/" + id,
                                 forwarderPath: forwarderPath, instance: try instanceLabels(),
                                 seccompProfile: try SandboxLayout.seccompProfile(sandbox: config.sandbox, nestedContainers: record.nestedContainers == true,
                                                                                  stateDir: config.resolvedStateDir),
                                 cgroupsV2: await freeSpace.facts(podman, runner: runner(for: id)?.name ?? "local")?.cgroupsV2 ?? false)
        var spec = plan.spec
        let name = record.container + "-shell-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        spec.name = name
        spec.labels["io.burrow.shell"] = "1"
        spec.entrypoint = [SandboxLayout.forwarderInside, "--listen", "none", "--"]
        spec.command = ["sleep", "2147483647"]
        spec.stopTimeout = 1
        // Podman would create a missing named volume empty: a workspace torn down meanwhile stays gone.
        guard try await podman.volumeExists(record.workspaceVolume) else { throw BurrowError.conflict("burrow \(id)'s workspace is gone") }
        _ = try await podman.createContainer(spec)
        do {
            try await podman.start(name)
        } catch {
            try? await podman.remove(name, force: true)
            throw error
        }
        return name
    }

    /// A copy outlives a Burrow killed in the middle of a session: at its next start no session can
    /// own one, so this instance's copies go (other instances' on the same Podman stay).
    func removeStaleShellCopies() async {
        guard let instance = try? instanceLabels() else { return }
        for copy in (try? await localPodman.listContainers(label: "io.burrow.shell=1")) ?? []
        where instance.allSatisfy({ copy.labels?[$0.key] == $0.value }) {
            await Self.removeCopy(copy.id, podman: localPodman)
        }
    }

    /// Killed first: its idle command would otherwise hold the removal for its stop timeout.
    static func removeCopy(_ name: String, podman: PodmanClient) async {
        try? await podman.kill(name)
        try? await podman.remove(name, force: true)
    }

    func noteShell(_ id: String, _ fields: [String: String]) async {
        guard let log = try? eventLog(id) else { return }
        _ = try? await log.append(kind: .shell, data: Self.json(fields))
    }
}
