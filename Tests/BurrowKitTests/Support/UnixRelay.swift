@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import Synchronization
@testable import BurrowWeb
@testable import BurrowCommands

/// Relays a Unix socket to another, byte for byte, until `cut()` drops every connection at once —
/// what a client sees when the service behind the socket dies.
final class UnixRelay: Sendable {
    let path: String
    private let listener: AsyncSocket
    private let sockets = SocketList()

    init(target: String) async throws {
        path = try TemporaryDirectory.make("relay") + "/relay.sock"
        listener = try AsyncSocket.listening(on: .unix(path))
        Task { [listener, sockets] in
            while let client = try? await listener.accept() {
                guard let upstream = try? await AsyncSocket.connect(to: .unix(target)) else { client.close(); continue }
                sockets.add([client, upstream])
                Task { await Self.pump(from: client, to: upstream) }
                Task { await Self.pump(from: upstream, to: client) }
            }
        }
    }

    static func pump(from source: AsyncSocket, to destination: AsyncSocket) async {
        var buffer: [UInt8] = []
        while (try? await source.read(into: &buffer)) ?? 0 > 0 {
            guard (try? await destination.write(buffer)) != nil else { break }
            buffer.removeAll(keepingCapacity: true)
        }
        destination.shutdown()
    }

    func cut() {
        listener.shutdown()
        for socket in sockets.all { socket.shutdown() }
    }
}

final class SocketList: Sendable {
    private let sockets = Mutex<[AsyncSocket]>([])
    func add(_ more: [AsyncSocket]) { sockets.withLock { $0 += more } }
    var all: [AsyncSocket] { sockets.withLock { $0 } }
}
