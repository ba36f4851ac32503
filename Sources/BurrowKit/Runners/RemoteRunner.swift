import FoundationEssentials
import BurrowSystem
import BurrowPodman

/// What a burrow on a remote runner needs there that a local one gets from host paths, put in place
/// through Podman's API and the SSH connection only: the forwarder in a volume (filled with the
/// archive API), the seccomp profile made from the runner's own Podman default, and the burrow's
/// egress socket forwarded from this host into a folder of the SSH user's runtime dir that only the
/// burrow's agent uid may enter. The model endpoint and the proxy stay here, with the key.
package final class RemoteRunner: Sendable {
    static let forwarderFolder = "/run/burrow-bin"

    let name: String
    package let tunnel: SSHTunnel
    private let configuredDir: String?
    private let prepared = Locked<[String: String]>([:])

    init(name: String, tunnel: SSHTunnel, remoteDir: String?) {
        self.name = name
        self.tunnel = tunnel
        configuredDir = remoteDir
    }

    /// Burrow's folder on the runner: sockets and the seccomp profile.
    func directory() async throws -> String {
        if let configuredDir { return configuredDir }
        try await tunnel.waitConnected()
        guard let runtime = tunnel.remoteRuntime else { throw RunnerError.unreachable("the runner's runtime folder is unknown") }
        return runtime + "/burrow"
    }

    func socketFolder(_ id: String) async throws -> String { try await directory() + "/" + id }

    /// Forwards the burrow's egress socket (`local`, on this host) into its folder on the runner,
    /// reachable by `owner` alone (the agent's ids in the Podman user's namespace: `RemoteEgressSocket`),
    /// and copies its trust bundle (`bundle`, a file of this host) there.
    func openEgress(_ id: String, local: String, owner: AgentIdentity, bundle: String?) async throws {
        let socket = try RemoteEgressSocket(directory: try await directory(), id: id, owner: owner)
        do {
            try await tunnel.forwardRemote(.init(listen: socket.listenPath, local: local, before: socket.beforeForward, after: socket.afterForward))
            if let bundle { try await tunnel.command(socket.placeBundle, timeout: .seconds(60), input: bundle) }
        } catch RunnerError.remote(let reason) where reason.contains("podman unshare") {
            throw RunnerError.remote("\(reason) — on runner \(name), Burrow gives each burrow's egress socket to its agent uid with `podman unshare`: "
                                     + "the SSH user needs Podman's command on its PATH and its subordinate ids (burrow doctor checks the runner)")
        }
    }

    func closeEgress(_ id: String) async {
        guard let directory = try? await directory(),
              let socket = try? RemoteEgressSocket(directory: directory, id: id, owner: AgentIdentity(uid: 0, gid: 0)) else { return }
        await tunnel.cancelRemote(socket.listenPath)
        _ = try? await tunnel.command(socket.remove)
    }

    /// What was put on the runner is known for one SSH connection only: a runner that rebooted in
    /// between has lost its runtime folder (a tmpfs), and the next connection puts it back.
    private var connectionKey: String { "@\(tunnel.connections)" }

    private func remember(_ key: String, _ value: String) {
        let current = connectionKey
        prepared.withLock { known in
            known = known.filter { $0.key.hasSuffix(current) }
            known[key] = value
        }
    }

    /// The seccomp profile on the runner: its Podman's own default, less nested user namespaces.
    func seccompProfile() async throws -> String {
        let key = "seccomp" + connectionKey
        if let known = prepared.withLock({ $0[key] }) { return known }
        let directory = try await directory()
        let defaults = SeccompProfile.podmanDefaults.map { "cat '\($0)' 2>/dev/null" }.joined(separator: " || ")
        let source = try await tunnel.command("{ \(defaults); }", timeout: .seconds(60))
        let profile = try SeccompProfile.blockingNestedUserNamespaces(Array(source.utf8), source: "\(name): Podman's default seccomp profile")
        let path = directory + "/" + SeccompProfile.fileName
        let encoded = Data(profile).base64EncodedString()
        try await tunnel.command(RemoteEgressSocket.ownedDirectory(directory) + " && printf %s '\(encoded)' | base64 -d > '\(path).tmp' && chmod 0644 '\(path).tmp' && mv -f '\(path).tmp' '\(path)'",
                                 timeout: .seconds(60))
        remember(key, path)
        return path
    }

    /// A volume on the runner holding this host's `burrow-forwarder` (named for its fingerprint, so a
    /// new binary gets a new volume), filled through a created, never started, helper container.
    func forwarderVolume(podman: PodmanClient, forwarder: String) async throws -> String {
        guard let status = FileSystem.status(forwarder) else { throw SandboxError.forwarderMissing(path: forwarder) }
        var hash = FNV1a()
        hash.add("\(status.size):\(status.modifiedNanoseconds)")
        let volume = "burrow-forwarder-\(hash.hex)"
        let key = "forwarder" + connectionKey
        if prepared.withLock({ $0[key] }) == volume { return volume }
        if try await !podman.volumeExists(volume) {
            let filler = "burrow-forwarder-fill-\(BurrowRecord.newID())"
            try await podman.createVolume(name: volume, labels: ["io.burrow.role": "forwarder"])
            do {
                var spec = ContainerSpec(image: try await HelperImage.ensure(podman))
                spec.name = filler
                spec.command = ["/bin/true"]
                spec.labels = ["io.burrow.role": "helper"]
                spec.volumes = [.init(name: volume, destination: "/fill")]
                _ = try await podman.createContainer(spec)
                var tar = TarWriter()
                tar.addFile("burrow-forwarder", try FileSystem.readFile(forwarder, limit: 256 << 20), mode: 0o755)
                try await podman.putArchive(filler, path: "/fill", tar: .bytes(tar.finished()))
                try await podman.remove(filler)
            } catch {
                // A half-filled volume must not be taken for a whole one by the next burrow.
                await withUncancelledTask {
                    try? await podman.remove(filler)
                    try? await podman.removeVolume(volume, force: true)
                }
                throw error
            }
        }
        remember(key, volume)
        return volume
    }

    /// Turns a local burrow's container spec into a remote one: the forwarder from its volume and
    /// relaying (no descriptor crosses SSH), the egress folder, the trust bundle in it and the seccomp
    /// profile from the runner's paths. Afterwards the spec names no path of this host.
    static func adapt(_ spec: inout ContainerSpec, forwarderVolume: String, socketFolder: String, seccompProfile: String?) {
        spec.mounts.removeAll { $0.type == "bind" && $0.destination == SandboxLayout.forwarderInside }
        for index in spec.mounts.indices where spec.mounts[index].type == "bind" {
            switch spec.mounts[index].destination {
            case SandboxLayout.socketDirectory: spec.mounts[index].source = socketFolder
            case BoxTrust.systemStore: spec.mounts[index].source = socketFolder + "/" + BoxTrust.bundleName
            default: break
            }
        }
        spec.volumes.append(.init(name: forwarderVolume, destination: forwarderFolder, options: ["ro"]))
        if var entrypoint = spec.entrypoint, entrypoint.first == SandboxLayout.forwarderInside {
            entrypoint[0] = forwarderFolder + "/burrow-forwarder"
            if entrypoint.contains("--to") { entrypoint.insert("--relay", at: 1) }
            spec.entrypoint = entrypoint
        }
        spec.seccompProfilePath = spec.seccompProfilePath == nil ? nil : seccompProfile
    }
}
