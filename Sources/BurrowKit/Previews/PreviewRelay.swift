import Glibc
import Synchronization
import BurrowSystem

/// Burrow's end of one `burrow-forwarder --preview-relay`: a host process that joined only the
/// burrow's network namespace (`nsenter --net`; as Podman's rootless user through `podman unshare`,
/// whose user namespace owns the container's network namespace). It serves a 0600 Unix socket in a
/// private folder of Burrow's, which nothing in the burrow can see or replace; it dies with its
/// standard input, a socket Burrow holds (`CompanionProcess`). On a remote runner it runs there,
/// started over SSH, and relays bytes instead (`RemotePreviewRelay`).
final class PreviewRelay: Sendable {
    let container: String
    private let process: CompanionProcess
    private let folder: String
    var socketPath: String { folder + "/relay.sock" }
    /// The relay answers a connection with `F` and relays its bytes (no descriptor crosses SSH).
    private let relaysBytes: Bool
    private let cleanUp: @Sendable () async -> Void
    /// Connections asked of the relay (tests check that a refused port cost none).
    let connectionsAsked = Atomic<Int>(0)

    init(container: String, process: CompanionProcess, folder: String, relaysBytes: Bool = false,
         cleanUp: @escaping @Sendable () async -> Void = {}) {
        self.container = container
        self.process = process
        self.folder = folder
        self.relaysBytes = relaysBytes
        self.cleanUp = cleanUp
    }

    var isRunning: Bool { process.isRunning }

    /// The command that starts the relay in the namespace of `pid`: `nsenter` directly as root, else
    /// inside Podman's user namespace (Burrow must then run as Podman's user).
    static func command(pid: Int32, forwarder: String, socket: String, asRoot: Bool = getuid() == 0) -> [String] {
        let enter = ["nsenter", "--target", String(pid), "--net", "--", forwarder, "--preview-relay", socket]
        return asRoot ? enter : ["podman", "unshare"] + enter
    }

    /// The parent of `pid` from the kernel (`/proc/PID/status`), nil when it cannot be read.
    static func parent(of pid: Int32) -> Int32? {
        guard let bytes = try? FileSystem.readFile("/proc/\(pid)/status", limit: 16 << 10) else { return nil }
        let line = String(decoding: bytes, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix("PPid:") }
        return line.flatMap { Int32($0.dropFirst(5).trimmingSpaces) }
    }

    static func start(container: String, pid: Int32, forwarder: String) async throws -> PreviewRelay {
        let folder = try FileSystem.makeTemporaryDirectory("burrow-preview")
        do {
            let process = try CompanionProcess(command(pid: pid, forwarder: forwarder, socket: folder + "/relay.sock"), log: folder + "/relay.log")
            let relay = PreviewRelay(container: container, process: process, folder: folder)
            let answer = try? await process.readLine(timeout: .seconds(20))
            guard answer == "ready" else {
                let log = (try? FileSystem.readFile(folder + "/relay.log", limit: 2048)).map { String(decoding: $0, as: UTF8.self) } ?? ""
                await relay.stop()
                throw PreviewError.relayFailed(log.trimmingSpaces.isEmpty ? "no answer" : String(log.trimmingSpaces))
            }
            return relay
        } catch {
            FileSystem.removeTree(folder)
            throw error
        }
    }

    func stop() async {
        _ = await process.stop()
        await cleanUp()
        FileSystem.removeTree(folder)
    }

    /// The kernel's TCP tables of the burrow's namespace (bounded by the relay).
    func tables() async throws -> [UInt8] {
        let socket = try await AsyncSocket.connect(to: .unix(socketPath))
        defer { socket.close() }
        try await socket.write(Array("L".utf8))
        return try await withDeadline(.seconds(5), operation: "reading the burrow's port table") { [socket] in
            var buffer: [UInt8] = []
            while buffer.count <= (4 << 20), try await socket.read(into: &buffer) > 0 {}
            return buffer
        }
    }

    /// A TCP connection to `port` on the burrow's loopback, made by the relay and handed over.
    func connect(_ port: ListeningPort) async throws -> AsyncSocket {
        connectionsAsked.add(1, ordering: .relaxed)
        let socket = try await AsyncSocket.connect(to: .unix(socketPath))
        let family = UInt8(ascii: port.family == 6 ? "6" : "4")
        if relaysBytes { return try await relayed(socket, port: port, request: [UInt8(ascii: "C"), family, UInt8(port.port >> 8), UInt8(port.port & 0xff)]) }
        defer { socket.close() }
        try await socket.write([UInt8(ascii: "C"), family, UInt8(port.port >> 8), UInt8(port.port & 0xff)])
        let handed = try await withDeadline(.seconds(3), operation: "connecting to the preview port") { [socket] () -> AsyncSocket? in
            if case .connection(let connection) = try await socket.receiveHandover() { return connection }
            return nil
        }
        guard let connection = handed else { throw PreviewError.refused(port: port.port) }
        switch connection.localAddress {
        case .ipv4?, .ipv6?: return connection
        default:
            connection.close()
            throw PreviewError.refused(port: port.port)
        }
    }

    /// The relay's connection itself, once it answered `F` (one byte read: what follows is the port's).
    private func relayed(_ socket: AsyncSocket, port: ListeningPort, request: [UInt8]) async throws -> AsyncSocket {
        do {
            try await socket.write(request)
            let answer = try await withDeadline(.seconds(3), operation: "connecting to the preview port") { [socket] () -> UInt8? in
                var byte: [UInt8] = []
                return try await socket.read(into: &byte, maxBytes: 1) == 1 ? byte.first : nil
            }
            guard answer == UInt8(ascii: "F") else { throw PreviewError.refused(port: port.port) }
            return socket
        } catch {
            socket.close()
            throw error
        }
    }
}
