@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
@testable import BurrowWeb
@testable import BurrowCommands

/// A real Burrow HTTP server on an ephemeral loopback port, with whatever routes a test adds.
final class TestServer: @unchecked Sendable {
    let server: HTTPServer
    let token = "test-token-0123456789abcdef"
    let port: UInt16
    let publicDir: String
    let runner: Task<Void, Never>

    var host: String { "127.0.0.1:\(port)" }

    init(timeouts: ServerTimeouts = ServerTimeouts(), routes: (inout Router) -> Void = { _ in },
         previews: ((UInt16) -> PreviewGateway)? = nil) throws {
        let listener = try AsyncSocket.listening(on: .ipv4("127.0.0.1", port: 0))
        port = listener.localAddress!.port!
        let gateway = previews?(port)
        var router = Router()
        router.addHealth(startedAt: Monotonic.now())
        router.post("/api/echo") { request in .bytes(request.body, contentType: "application/octet-stream") }
        router.post("/api/large", maxBodyBytes: 4 << 20) { request in .text("\(request.body.count)") }
        routes(&router)
        if let gateway { router.addPreviews(gateway.manager, gateway: gateway) }
        publicDir = try TemporaryDirectory.make()
        try FileSystem.writeAtomically(Array("<h1>hello</h1>".utf8), to: publicDir + "/index.html")
        try FileSystem.writeAtomically(Array("body{}".utf8), to: publicDir + "/style.css")
        let app = Application(router: router, access: AccessControl(token: token, listen: listener.localAddress!),
                              staticFiles: StaticFiles(root: publicDir), previews: gateway)
        let server = app.makeServer(listener: listener, timeouts: timeouts)
        self.server = server
        runner = Task { await server.run() }
    }

    func client() async throws -> RawClient { try await RawClient(port: port) }

    /// One request on a fresh connection, authorised unless told otherwise.
    func request(_ method: String = "GET", _ target: String, headers: [String: String] = [:], body: String? = nil,
                 authorised: Bool = true) async throws -> RawClient.Response {
        let client = try await client()
        defer { client.close() }
        var text = "\(method) \(target) HTTP/1.1\r\nHost: \(host)\r\n"
        if authorised { text += "Authorization: Bearer \(token)\r\n" }
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if let body { text += "Content-Length: \(body.utf8.count)\r\n\r\n\(body)" } else { text += "\r\n" }
        try await client.send(text)
        return try await client.response(method: HTTPMethod(method))
    }

    func stop() async {
        await server.shutdown(grace: .seconds(1))
        await runner.value
    }
}
