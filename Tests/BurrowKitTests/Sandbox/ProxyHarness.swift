@testable import BurrowKit
@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman
import Glibc
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// One egress proxy on a Unix socket in a fresh folder, the events it reports, and its accept loop.
final class ProxyHarness: Sendable {
    let proxy: EgressProxy
    let folder: String
    let events = Locked<[NetEvent]>([])
    let runner: Task<Void, Never>
    var path: String { proxy.socketPath }

    init(limits: ProxyLimits = ProxyLimits(), model: ModelEndpoint? = nil,
         allowPeer: @escaping EgressProxy.PeerCheck = { $0 == geteuid() }) throws {
        folder = try TemporaryDirectory.make("bp")
        let events = self.events
        proxy = try EgressProxy(socketPath: folder + "/proxy.sock", policy: EgressPolicy(allow: []), model: model,
                                limits: limits, allowPeer: allowPeer) { event in events.withLock { $0.append(event) } }
        let proxy = self.proxy
        runner = Task { await proxy.run() }
    }

    var deniedReasons: [String] { events.withLock { $0.filter { $0.phase == .denied }.compactMap(\.reason) } }

    /// A plain request on the socket itself; with no model endpoint the proxy answers 404 at once,
    /// which proves its accept loop and a cooperative thread are alive.
    func probe(timeout: Double = 5) async throws -> RawClient.Response {
        let path = self.path
        return try await withTimeout(timeout) {
            let client = RawClient(HTTPConnection(try await AsyncSocket.connect(to: .unix(path))))
            defer { client.close() }
            try await client.send("GET /v1/models HTTP/1.1\r\nHost: burrow\r\n\r\n")
            return try await client.response()
        }
    }

    /// Shuts the proxy down and waits for its accept loop to end.
    func stop(timeout: Double = 5) async throws {
        proxy.shutdown()
        let runner = self.runner
        try await withTimeout(timeout) { await runner.value }
        FileSystem.removeTree(folder)
    }

    /// Waits until `condition` holds, polling.
    static func eventually(_ seconds: Double = 5, _ condition: @Sendable () -> Bool) async -> Bool {
        let deadline = Monotonic.after(.milliseconds(Int(seconds * 1000)))
        while Monotonic.now() < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return condition()
    }
}

/// A stand-in upstream on the loopback: counts requests and keeps their heads, answers 200.
final class RecordingUpstream: Sendable {
    let listener: AsyncSocket
    let heads = Locked<[RequestHead]>([])
    let runner: Task<Void, Never>
    var port: UInt16 { listener.localAddress!.port! }

    init() throws {
        let listener = try AsyncSocket.listening(on: .ipv4("127.0.0.1", port: 0))
        self.listener = listener
        let heads = self.heads
        runner = Task {
            while let socket = try? await listener.accept() {
                Task {
                    let connection = HTTPConnection(socket)
                    defer { connection.close() }
                    guard let head = try? await connection.readHead(RequestHead.self, limits: HTTPLimits()) else { return }
                    _ = try? await connection.readBody(try HeadParser.requestFraming(head.headers).get(), limit: 1 << 20)
                    heads.withLock { $0.append(head) }
                    try? await connection.send(.text("{}", status: .ok), keepAlive: false)
                }
            }
            listener.close()
        }
    }

    func stop() { listener.stop() }
}
