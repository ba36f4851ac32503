@testable import BurrowSystem
@testable import BurrowPodman
import Glibc

/// A stand-in Podman service on a Unix socket in a fresh folder: each request (read to the end of
/// its head; these tests send no bodies) is answered by `answer`, given its number (1, 2, …).
final class StandInPodman: Sendable {
    struct Answer: Sendable {
        var status = "200 OK"
        var body = "OK"
        var contentType: String?
    }

    let folder: String
    private let listener: AsyncSocket
    private let serving: Task<Void, Never>
    private let asked = Locked(0)

    var socketPath: String { folder + "/podman.sock" }
    var client: PodmanClient { PodmanClient(socketPath: socketPath) }
    /// How many requests came.
    var requests: Int { asked.withLock { $0 } }

    init(_ answer: @escaping @Sendable (Int) async -> Answer) throws {
        var template = Array("/tmp/burrow-standin-XXXXXX".utf8CString)
        folder = String(validatingCString: mkdtemp(&template)!)!
        let listener = try AsyncSocket.listening(on: .unix(folder + "/podman.sock"))
        let asked = self.asked
        self.listener = listener
        serving = Task {
            while let connection = try? await listener.accept() {
                Task {
                    var buffer: [UInt8] = []
                    while let read = try? await connection.read(into: &buffer), read > 0 {
                        guard buffer.firstRange(of: Array("\r\n\r\n".utf8)) != nil else { continue }
                        buffer.removeAll()
                        let reply = await answer(asked.withLock { $0 += 1; return $0 })
                        let type = reply.contentType.map { "Content-Type: \($0)\r\n" } ?? ""
                        try? await connection.write(Array("HTTP/1.1 \(reply.status)\r\n\(type)Content-Length: \(reply.body.utf8.count)\r\n\r\n\(reply.body)".utf8))
                    }
                    connection.close()
                }
            }
        }
    }

    /// Stops listening and removes the folder.
    func close() {
        serving.cancel()
        listener.close()
        FileSystem.removeTree(folder)
    }
}
