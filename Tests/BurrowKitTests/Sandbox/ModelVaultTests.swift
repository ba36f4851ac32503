@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import Foundation
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// The model endpoint holds the key like a vault: only its routes, only its headers, no redirects.
/// Driven over a proxy's real Unix socket, as a burrow's connection arrives after handover.
final class ModelVaultTests: XCTestCase {
    static let realKey = "sk-ant-api03-REAL-KEY-vault-test-5678"

    func proxy(upstream: String, routes: ModelRoutes = ModelRoutes(), log: NetLog) throws -> EgressProxy {
        let endpoint = ModelEndpoint(upstream: URL(string: upstream)!, credential: Credential(value: Self.realKey), routes: routes)
        let path = try TemporaryDirectory.make("vault") + "/proxy.sock"
        let proxy = try EgressProxy(socketPath: path, policy: EgressPolicy(allow: []), model: endpoint, allowPeer: { _ in true }, report: log.report)
        Task { await proxy.run() }
        return proxy
    }

    func testARedirectIsReturnedToTheAgentAndTheKeyNeverFollowsIt() async throws {
        let elsewhere = try ModelStandIn()
        let redirecting = try ModelStandIn { _ in
            var headers = HTTPHeaders()
            headers.add("Location", "http://127.0.0.1:\(0)/v1/messages")
            return HTTPResponse(status: .found, headers: headers, body: .bytes(Array("moved".utf8)))
        }
        // Each redirect flavour points at the second stand-in, which must never be asked.
        let target = "\(elsewhere.url)/v1/messages"
        let statuses: [(Int, String)] = [(301, "Moved Permanently"), (302, "Found"), (307, "Temporary Redirect"), (308, "Permanent Redirect")]
        for (code, reason) in statuses {
            let upstream = try ModelStandIn { _ in
                var headers = HTTPHeaders()
                headers.add("Location", target)
                return HTTPResponse(status: HTTPStatus(code, reason), headers: headers, body: .bytes(Array("moved".utf8)))
            }
            let log = NetLog()
            let proxy = try proxy(upstream: upstream.url, log: log)
            let answer = try await withTimeout(20) { try await ProxyClient.exchange(proxy.socketPath, ProxyClient.post("/v1/messages?beta=true")) }
            XCTAssertEqual(answer.status, code, "the agent gets the \(code) itself")
            XCTAssertEqual(answer.headers["Location"], target)
            XCTAssertEqual(upstream.requests.count, 1, "the upstream was asked once")
            XCTAssertEqual(upstream.requests.first?.headers["x-api-key"], Self.realKey, "probe: the key did go to the configured upstream")
            let events = try await log.waitFor(1)
            XCTAssertEqual(events.last?.status, code)
            proxy.shutdown()
            await upstream.stop()
        }
        XCTAssertEqual(elsewhere.requests.count, 0, "no request, with or without the key, followed a redirect")
        await elsewhere.stop()
        await redirecting.stop()
    }

    func testOnlyAllowlistedRoutesReachTheUpstream() async throws {
        let upstream = try ModelStandIn()
        let log = NetLog()
        let proxy = try proxy(upstream: upstream.url, log: log)
        let refused = [
            ("DELETE", "/v1/messages"), ("TRACE", "/v1/messages"), ("PROPFIND", "/v1/messages"), ("GET", "/v1/messages"),
            ("POST", "/v1/files"), ("POST", "/v1/messages/batches"), ("GET", "/v1/organizations/api_keys"),
            ("POST", "/v1/messages/../organizations/api_keys"), ("POST", "/v1//messages"), ("POST", "/v1/messages/"),
            ("POST", "/v1/%6dessages"), ("GET", "/v1/models/../../v1/files"), ("GET", "/v1/models/a%2Fb"), ("POST", "/"),
        ]
        for (method, path) in refused {
            let answer = try await withTimeout(20) { try await ProxyClient.exchange(proxy.socketPath, ProxyClient.post(path, method: method)) }
            XCTAssertEqual(answer.status, 403, "\(method) \(path): \(answer.text)")
            XCTAssertTrue(answer.text.contains(#""type":"error""#) && answer.text.contains("permission_error"), answer.text)
            XCTAssertTrue(log.all.last.map { $0.phase == .denied && $0.method == method && $0.allowed == false } ?? false, "\(method) \(path) reported denied")
        }
        XCTAssertEqual(upstream.requests.count, 0, "nothing refused reached the upstream: \(upstream.requests.map { "\($0.method) \($0.target)" })")
        let allowed = [("POST", "/v1/messages?beta=true"), ("POST", "/v1/messages"), ("POST", "/v1/messages/count_tokens?beta=true"),
                       ("GET", "/v1/models"), ("GET", "/v1/models/claude-opus-5-5")]
        for (method, path) in allowed {
            let request = method == "GET" ? "GET \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" : ProxyClient.post(path, method: method)
            let answer = try await withTimeout(20) { try await ProxyClient.exchange(proxy.socketPath, request) }
            XCTAssertEqual(answer.status, 200, "\(method) \(path): \(answer.text)")
        }
        XCTAssertEqual(upstream.requests.map { "\($0.method) \($0.target)" }, allowed.map { "\($0.0) \($0.1)" })
        proxy.shutdown()
        // Configured: only what the list names.
        let narrow = try self.proxy(upstream: upstream.url, routes: ModelRoutes(["POST /v1/messages"]), log: log)
        let models = try await withTimeout(20) { try await ProxyClient.exchange(narrow.socketPath, ProxyClient.post("/v1/models", method: "GET")) }
        XCTAssertEqual(models.status, 403)
        narrow.shutdown()
        await upstream.stop()
    }

    func testTheAgentsAuthHeadersAreReplacedAndOnlyAllowlistedHeadersGoOn() async throws {
        let upstream = try ModelStandIn()
        let log = NetLog()
        let proxy = try proxy(upstream: upstream.url, log: log)
        let extra = [
            "x-api-key: sk-ant-agents-own-key", "Authorization: Bearer agents-token", "Cookie: session=agent",
            "X-Forwarded-For: 10.0.0.1", "Proxy-Authorization: Basic abc", "anthropic-version: 2023-06-01",
            "anthropic-beta: claude-code-20250219", "X-Stainless-Lang: js", "User-Agent: claude-cli/2.1.330", "x-app: cli",
            "X-Claude-Code-Session-Id: s1", "X-Evil: 1", "anthropic-admin-key: x",
        ].map { $0 + "\r\n" }.joined()
        let answer = try await withTimeout(20) { try await ProxyClient.exchange(proxy.socketPath, ProxyClient.post("/v1/messages?beta=true", extra: extra)) }
        XCTAssertEqual(answer.status, 200, answer.text)
        let seen = try XCTUnwrap(upstream.requests.first).headers
        XCTAssertEqual(seen.values("x-api-key"), [Self.realKey], "exactly the real key, once")
        XCTAssertNil(seen["authorization"])
        for dropped in ["cookie", "x-forwarded-for", "proxy-authorization", "x-evil", "anthropic-admin-key"] {
            XCTAssertNil(seen[dropped], dropped)
        }
        for (name, value) in [("anthropic-version", "2023-06-01"), ("anthropic-beta", "claude-code-20250219"), ("x-stainless-lang", "js"),
                              ("user-agent", "claude-cli/2.1.330"), ("x-app", "cli"), ("x-claude-code-session-id", "s1"), ("content-type", "application/json")] {
            XCTAssertEqual(seen[name], value, name)
        }
        proxy.shutdown()
        // An OAuth token goes as a bearer token; the agent's x-api-key still does not.
        let oauth = ModelEndpoint(upstream: URL(string: upstream.url)!, credential: Credential(value: "sk-ant-oat01-token"))
        let path = try TemporaryDirectory.make("vault") + "/proxy.sock"
        let second = try EgressProxy(socketPath: path, policy: EgressPolicy(allow: []), model: oauth, allowPeer: { _ in true }, report: log.report)
        Task { await second.run() }
        _ = try await withTimeout(20) { try await ProxyClient.exchange(path, ProxyClient.post("/v1/messages", extra: extra)) }
        let oauthSeen = try XCTUnwrap(upstream.requests.last).headers
        XCTAssertEqual(oauthSeen.values("authorization"), ["Bearer sk-ant-oat01-token"])
        XCTAssertNil(oauthSeen["x-api-key"])
        XCTAssertEqual(oauthSeen["anthropic-beta"], "claude-code-20250219,oauth-2025-04-20")
        second.shutdown()
        await upstream.stop()
    }

    /// A body over the vault's 1 MiB spool threshold goes upstream whole, with its length (not
    /// chunked), and its spooled copy is gone once the answer ends.
    func testALargeBodyGoesUpstreamWholeAndItsSpoolFileIsRemoved() async throws {
        let prefix = #"{"model":"claude-opus-5-5","max_tokens":1,"messages":[],"pad":""#
        let body = prefix + String(repeating: "x", count: (3 << 20) - prefix.utf8.count - 2) + #""}"#
        let upstream = try ModelStandIn(maxBodyBytes: 8 << 20) { request in
            request.body == Array(body.utf8) ? ModelStandIn.standard(request) : HTTPResponse.text("body differs: \(request.body.count) bytes", status: .badRequest)
        }
        let log = NetLog()
        let proxy = try proxy(upstream: upstream.url, log: log)
        let answer = try await withTimeout(30) { try await ProxyClient.exchange(proxy.socketPath, ProxyClient.post("/v1/messages", body: body)) }
        XCTAssertEqual(answer.status, 200, answer.text)
        let seen = try XCTUnwrap(upstream.requests.first).headers
        XCTAssertEqual(seen["Content-Length"], "\(3 << 20)")
        XCTAssertNil(seen["Transfer-Encoding"])
        _ = try await log.waitFor(1)
        let spooled = FileSystem.listDirectory("/tmp").filter { $0.hasPrefix("burrow-vault-") }
            .flatMap { folder in FileSystem.listDirectory("/tmp/" + folder).filter { $0.hasPrefix("body-") } }
        XCTAssertEqual(spooled, [], "no spooled body is left behind")
        proxy.shutdown()
        await upstream.stop()
    }
}
