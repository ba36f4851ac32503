@testable import BurrowKit
@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowTLS
import XCTest

/// Bad TLS from the box on an intercepted CONNECT, played by `openssl s_client` (a client Burrow did
/// not write) through a loopback relay to the proxy's socket: only TLS 1.0/1.1 is refused with a net
/// event; a client certificate is ignored (the proxy asks for none) and the request is served.
final class BoxTLSInputTests: XCTestCase {
    func testOnlyOldTLSIsRefusedAndReportedAndAClientCertificateIsIgnored() async throws {
        guard FileSystem.exists("/usr/bin/openssl") || FileSystem.exists("/bin/openssl") else { throw XCTSkip("no openssl binary") }
        let folder = try TemporaryDirectory.make("tls-input")
        defer { FileSystem.removeTree(folder) }
        let service = try HTTPSStandIn(folder: folder)
        defer { service.stop() }
        let interception = try Interception(burrow: "test", extraCAs: [service.caFile])
        try FileSystem.writeAtomically(interception.trustBundle(), to: folder + "/bundle.pem")
        let host = "service.test:\(service.port)"
        let policy = EgressPolicy(allow: [host], resolve: ["service.test": "127.0.0.1"], rules: try NetworkRules([[host: ["GET /**"]]]))
        let events = Locked<[NetEvent]>([])
        let proxy = try EgressProxy(socketPath: folder + "/proxy.sock", policy: policy, model: nil, interception: interception,
                                    allowPeer: { _ in true }) { event in events.withLock { $0.append(event) } }
        Task { await proxy.run() }
        defer { proxy.shutdown() }
        // s_client speaks CONNECT over TCP; the relay carries its bytes to the proxy's unix socket as they are.
        let relay = try AsyncSocket.listening(on: .ipv4("127.0.0.1", port: 0))
        defer { relay.stop() }
        let relaying = Task {
            while let client = try? await relay.accept() {
                Task {
                    guard let upstream = try? await AsyncSocket.connect(to: .unix(proxy.socketPath)) else { return client.close() }
                    _ = await Splice.run(client, upstream)
                    client.close()
                    upstream.close()
                }
            }
        }
        defer { relaying.cancel() }
        _ = try await Subprocess.check(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=box", "-days", "1",
                                        "-keyout", folder + "/client.key", "-out", folder + "/client.pem"], timeout: .seconds(30))
        func sClient(_ options: String) async throws -> Subprocess.Result {
            let request = "GET /cert HTTP/1.1\\r\\nHost: \(host)\\r\\nConnection: close\\r\\n\\r\\n"
            return try await Subprocess.run(["sh", "-c", "printf '\(request)' | openssl s_client -quiet -ign_eof -proxy 127.0.0.1:\(relay.localAddress!.port!) "
                                             + "-connect \(host) -servername service.test -CAfile \(folder)/bundle.pem \(options) 2>&1"], timeout: .seconds(20))
        }
        for old in ["-tls1", "-tls1_1"] {
            let result = try await sClient("\(old) -cipher DEFAULT@SECLEVEL=0")
            XCTAssertNotEqual(result.status, 0, result.stdout)
            XCTAssertFalse(result.stdout.contains("HTTP/1.1 200"), result.stdout)
            XCTAssertTrue(result.stdout.lowercased().contains("alert") || result.stdout.lowercased().contains("protocol"), result.stdout)
        }
        let refusals = events.withLock { $0.filter { $0.phase == .denied && $0.reason?.contains("TLS handshake for service.test failed") == true } }
        XCTAssertEqual(refusals.count, 2, "\(events.withLock { $0 })")
        XCTAssertEqual(refusals.first?.decidedBy, "policy")
        let withCertificate = try await sClient("-cert \(folder)/client.pem -key \(folder)/client.key")
        XCTAssertTrue(withCertificate.stdout.contains("HTTP/1.1 200") && withCertificate.stdout.contains("GET /cert"), withCertificate.stdout)
        XCTAssertEqual(service.seen.withLock { $0.map(\.target) }, ["/cert"], "only the request over TLS 1.2+ reached the service")
        let served = try await sClient("")
        XCTAssertTrue(served.stdout.contains("HTTP/1.1 200"), "the proxy still serves after the bad handshakes: \(served.stdout)")
    }
}
