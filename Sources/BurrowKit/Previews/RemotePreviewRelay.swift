import BurrowSystem
import BurrowPodman

/// A burrow's preview relay on a remote runner: the runner's copy of `burrow-forwarder` (from its
/// forwarder volume) started over the runner's SSH connection in the burrow's network namespace
/// (`podman unshare nsenter --net`, as locally without root), relaying bytes (`--relay`: no
/// descriptor crosses SSH). Its socket on the runner is in a folder of the SSH user's (0700; the
/// socket 0600), forwarded to a socket in a private folder here (`ssh -O forward -L`). It ends with
/// its SSH session: when Burrow closes its standard input, or the connection drops.
extension RemoteRunner {
    func previewRelay(id: String, container: String, pid: Int32, conmon: Int32, podman: PodmanClient, forwarder: String) async throws -> PreviewRelay {
        let directory = try await directory()
        let volume = try await forwarderVolume(podman: podman, forwarder: forwarder)
        guard let mountpoint = try await podman.inspectVolume(volume).mountpoint, mountpoint.hasPrefix("/"), !mountpoint.contains("'") else {
            throw PreviewError.relayFailed("the runner's forwarder volume \(volume) has no usable mountpoint")
        }
        let remoteSocket = directory + "/previews/" + id + ".sock"
        let command = Self.previewCommand(directory: directory, socket: remoteSocket, pid: pid, conmon: conmon,
                                          forwarder: mountpoint + "/burrow-forwarder")
        let folder = try FileSystem.makeTemporaryDirectory("burrow-preview")
        do {
            let process = try CompanionProcess(tunnel.commandLine(command), log: folder + "/relay.log", answersOnStdout: true)
            let tunnel = self.tunnel
            let relay = PreviewRelay(container: container, process: process, folder: folder, relaysBytes: true) { [folder] in
                // Awaited here, in a task of its own: the stop often comes from the watcher as it is cancelled.
                await Task {
                    await tunnel.cancelLocal(folder + "/relay.sock", to: remoteSocket)
                    _ = try? await tunnel.command("rm -f '\(remoteSocket)'")
                }.value
            }
            let answer = try? await process.readLine(timeout: .seconds(30))
            guard answer == "ready" else {
                let log = (try? FileSystem.readFile(folder + "/relay.log", limit: 2048)).map { String(decoding: $0, as: UTF8.self) } ?? ""
                await relay.stop()
                throw PreviewError.relayFailed("on runner \(name): " + (log.trimmingSpaces.isEmpty ? "no answer" : String(log.trimmingSpaces)))
            }
            do {
                try await tunnel.forwardLocal(relay.socketPath, to: remoteSocket)
            } catch {
                await relay.stop()
                throw PreviewError.relayFailed("on runner \(name): \(error)")
            }
            return relay
        } catch {
            FileSystem.removeTree(folder)
            throw error
        }
    }

    /// On the runner: the previews folder the SSH user's alone, the kernel's word that `pid` is the
    /// container's (its parent is the container's conmon: a reused pid names another namespace),
    /// then the relay in that process's network namespace. Only Burrow's own values reach it.
    static func previewCommand(directory: String, socket: String, pid: Int32, conmon: Int32, forwarder: String) -> String {
        let previews = directory + "/previews"
        return RemoteEgressSocket.ownedDirectory(directory) + " && mkdir -p -m 0700 '\(previews)' && chmod 0700 '\(previews)' || exit 1; "
            + "[ \"$(sed -n 's/^PPid:[[:space:]]*//p' /proc/\(pid)/status)\" = '\(conmon)' ] "
            + "|| { echo \"process \(pid) does not belong to this container on the runner\" >&2; exit 1; }; "
            + "exec podman unshare nsenter --target \(pid) --net -- '\(forwarder)' --relay --preview-relay '\(socket)'"
    }
}
