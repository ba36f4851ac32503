import BurrowSystem
import BurrowHTTP
import BurrowPodman

/// Carries one exec session between the client's taken-over connection and Podman's hijacked one.
/// Each direction reads one piece (≤ 64 KiB) and awaits its write before reading again, so a box that
/// floods its output, or never reads its input, holds at most a piece here: the other side waits.
/// The bridge owns (and closes) Podman's connection; the server owns the client's.
struct ShellBridge: Sendable {
    let podman: PodmanClient
    let execID: String
    let tty: Bool
    /// Runs after the command ended and before its status is sent (a copy's removal: the client
    /// returns once the session is wholly over).
    var finishing: @Sendable () async -> Void = {}
    /// Ends the command when its client left while it ran (`ExecHangup`); nothing where it cannot.
    var hangUp: @Sendable () async -> Void = {}

    /// The command's exit status, nil when the session ended otherwise (the client left, Podman went).
    func run(client: UpgradedConnection, box: UpgradedConnection) async -> Int32? {
        defer { box.socket.close() }
        let commandEnded = Locked(false)
        return await withTaskGroup(of: Int32?.self) { group in
            group.addTask {
                await forwardInput(from: client, to: box)
                // The client left while the command ran (else the output side ended first and said so).
                if !commandEnded.withLock({ $0 }) { await hangUp() }
                box.socket.shutdown()  // the client is gone: end the output side too
                return nil
            }
            group.addTask {
                let code = await forwardOutput(from: box, to: client) { commandEnded.withLock { $0 = true } }
                client.socket.shutdown()  // wakes the input side; the server closes the socket
                return code
            }
            var code: Int32?
            for await result in group { code = code ?? result }
            return code
        }
    }

    private func forwardInput(from client: UpgradedConnection, to box: UpgradedConnection) async {
        var decoder = ShellFrameDecoder()
        var buffer = client.leftover
        do {
            while true {
                for frame in try decoder.decode(buffer) {
                    switch frame {
                    case .input(let bytes): try await box.socket.write(bytes)
                    case .inputEnd: box.socket.shutdownWriting()
                    case .resize(let rows, let columns) where tty && rows > 0 && columns > 0:
                        try? await podman.resizeExec(execID, rows: rows, columns: columns)
                    default: break
                    }
                }
                buffer.removeAll(keepingCapacity: true)
                guard try await client.socket.read(into: &buffer, maxBytes: ShellFrame.maxPayload) > 0 else { return }
            }
        } catch {
            return
        }
    }

    private func forwardOutput(from box: UpgradedConnection, to client: UpgradedConnection, ended: @Sendable () -> Void) async -> Int32? {
        var demux = ExecOutputDemux()
        var buffer = box.leftover
        do {
            while true {
                let frames = tty ? ShellFrame.output(buffer, stderr: false) : demux.split(buffer)
                for frame in frames { try await client.socket.write(frame.encoded) }
                buffer.removeAll(keepingCapacity: true)
                guard try await box.socket.read(into: &buffer, maxBytes: ShellFrame.maxPayload) > 0 else {
                    ended()  // the command's streams closed: it ended (or Podman's side went)
                    break
                }
            }
        } catch {
            // Podman's side broke or the client's did: either way the status is asked for below.
        }
        let code = await exitCode()
        await finishing()
        let last: ShellFrame = code.map { .exit($0) } ?? .failure("the command's exit status is unknown (Podman did not report it)")
        try? await client.socket.write(last.encoded)
        return code
    }

    private func exitCode() async -> Int32? { await podman.execExitCode(execID) }
}
