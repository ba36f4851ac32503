@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import Foundation
import XCTest
@testable import BurrowCommands

/// `burrow serve` (the built binary) over a Podman that accepts and never answers, as Podman 4.3's
/// service did under 32 launches: Burrow listens at once, /api/health answers at once and names the
/// stall, a launch fails in seconds with that reason; once Podman answers, launches work again with
/// no restart.
final class PodmanStallTests: XCTestCase {
    func testServeListensAndCarriesOnThroughAPodmanThatStopsAnswering() async throws {
        let real = try XCTUnwrap(PodmanTestEnvironment.socket, "needs the test Podman")
        let relay = try StallingRelay(target: real)
        defer { relay.close() }
        let home = try TemporaryDirectory.make("burrow-stall-home")
        let stateDir = try TemporaryDirectory.make("burrow-stall-state")
        let repo = try await BurrowTestApp.makeRepo()
        defer { for folder in [home, repo] { FileSystem.removeTree(folder) } }
        let port = try ClientCommandBinaryTests.freePort()
        var config: [String: Any] = [
            "listen": "127.0.0.1:\(port)", "stateDir": stateDir, "podmanSocket": relay.path, "image": PodmanTestEnvironment.image,
            "network": ["mode": "none"], "agentCommand": ["sh", "-c"], "taskInput": "argument",
            "repos": [["name": "demo", "path": repo]],
        ]
        if let forwarder = FileSystem.environment("BURROW_TEST_FORWARDER") { config["forwarderPath"] = forwarder }
        try FileSystem.writeAtomically(Array(try JSONSerialization.data(withJSONObject: config)), to: home + "/burrow.json")
        let token = "stall-token-0123456789"
        let server = Task {
            try await Subprocess.run([QuickStartTests.binary, "serve", "--config", home + "/burrow.json"],
                                     environment: ["HOME": home, "BURROW_TOKEN": token], timeout: .seconds(240))
        }
        defer { server.cancel() }
        let api = API(port: port, token: token)

        // It listens at once, though every call to Podman is held (the stand-in did accept one).
        let started = Monotonic.now()
        let first = try await withTimeout(10) {
            while true {
                if let answer = try? await api.send("GET", "/api/health") { return answer }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        XCTAssertEqual(first.status, 200)
        XCTAssertLessThan(Double(Monotonic.now() - started) / 1e9, 10, "listening while Podman does not answer")

        // Health names the stall once the probe's cut-off passed; each answer is immediate.
        let stalled = try await withTimeout(30) {
            while true {
                let answer = try await withTimeout(1) { try await api.health() }
                if answer.podman?.error?.contains("Podman is not answering since") == true { return answer }
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        XCTAssertEqual(stalled.podman?.reachable, false)
        XCTAssertNotNil(stalled.podman?.notAnsweringSince)
        XCTAssertGreaterThan(relay.accepted.withLock { $0 }, 0, "the stand-in was asked")

        // A launch fails in seconds with the reason.
        let launchBody = #"{"repo":"demo","task":"echo carried-on"}"#
        let refused = try await withTimeout(15) { try await api.send("POST", "/api/burrows", body: launchBody) }
        XCTAssertEqual(refused.status, 503, refused.text)
        XCTAssertTrue(refused.text.contains("Podman is not answering since"), refused.text)

        // Podman answers again: health says so and a launch runs to its end, with no restart.
        relay.answer()
        let recovered = try await withTimeout(60) {
            while true {
                let answer = try await withTimeout(1) { try await api.health() }
                if answer.podman?.reachable == true { return answer }
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        XCTAssertNil(recovered.podman?.notAnsweringSince)
        let launched = try await withTimeout(30) { try await api.send("POST", "/api/burrows", body: launchBody) }
        XCTAssertEqual(launched.status, 201, launched.text)
        let id = try JSONDecoder().decode(BurrowRecord.self, from: Data(launched.body)).id
        let done = try await withTimeout(120) {
            while true {
                let body = try await api.send("GET", "/api/burrows/\(id)").body
                let record = try JSONDecoder().decode(BurrowRecord.self, from: Data(body))
                if record.state.isFinal { return (record, String(decoding: body, as: UTF8.self)) }
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        let events = FileSystem.listDirectory(stateDir + "/burrows/" + id).map { name in
            name + ": " + String(decoding: ((try? FileSystem.readFile(stateDir + "/burrows/" + id + "/" + name)) ?? []).suffix(2000), as: UTF8.self)
        }
        XCTAssertEqual(done.0.state, .succeeded, done.1 + events.joined(separator: "\n"))
        _ = try? await api.send("DELETE", "/api/burrows/\(id)")
        server.cancel()
        _ = try? await server.value
        let podman = try await PodmanTestEnvironment.client()
        let key = RepoStore.key(RepoConfig(name: "demo", path: repo))
        for image in (try? await podman.listImages(label: "io.burrow.template")) ?? [] where image.labels?["io.burrow.template"]?.hasPrefix(key) == true {
            try? await podman.removeImage(image.id)
        }
        FileSystem.removeTree(stateDir)
    }

    struct API: Sendable {
        let port: UInt16
        let token: String

        func send(_ method: HTTPMethod, _ path: String, body: String? = nil) async throws -> ClientResponse {
            var request = ClientRequest(method, path, headers: ["Authorization": "Bearer \(token)"],
                                        body: body.map { .bytes(Array($0.utf8), contentType: "application/json") } ?? .none)
            request.host = "127.0.0.1:\(port)"
            return try await HTTPClient(address: .ipv4("127.0.0.1", port: port)).send(request)
        }

        func health() async throws -> PodmanHealthAnswer {
            try JSONDecoder().decode(PodmanHealthAnswer.self, from: Data(try await send("GET", "/api/health").body))
        }
    }

    /// Decoded here (not as `Health`), so that the test also builds against Burrow before the stall was named.
    struct PodmanHealthAnswer: Decodable {
        struct Podman: Decodable {
            let reachable: Bool
            let error: String?
            let notAnsweringSince: Double?
        }
        let status: String
        let podman: Podman?
    }
}
