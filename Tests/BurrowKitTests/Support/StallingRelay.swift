@testable import BurrowSystem
@testable import BurrowHTTP


/// A stand-in for a stuck Podman service: while stalled it accepts connections and never answers
/// them (what Podman 4.3's service did under 32 launches); once `answer()` is called it relays new
/// connections to the real socket, byte for byte, and drops the ones it held.
final class StallingRelay: Sendable {
    let path: String
    private let listener: AsyncSocket
    private let stalled = Locked(true)
    private let held = SocketList()
    let accepted = Locked(0)

    init(target: String) throws {
        path = try TemporaryDirectory.make("stall") + "/podman.sock"
        listener = try AsyncSocket.listening(on: .unix(path))
        Task { [listener, stalled, held, accepted] in
            while let client = try? await listener.accept() {
                accepted.withLock { $0 += 1 }
                if stalled.withLock({ $0 }) {
                    held.add([client])
                    continue
                }
                guard let upstream = try? await AsyncSocket.connect(to: .unix(target)) else { client.close(); continue }
                Task { await UnixRelay.pump(from: client, to: upstream) }
                Task { await UnixRelay.pump(from: upstream, to: client) }
            }
        }
    }

    /// Podman answers again: new connections reach it; the held ones end (their callers retry).
    func answer() {
        stalled.withLock { $0 = false }
        for socket in held.all { socket.shutdown() }
    }

    func close() {
        listener.shutdown()
        for socket in held.all { socket.shutdown() }
    }
}
