@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowKit
import Foundation
import XCTest
@testable import BurrowCommands

/// `burrow init` and `burrow serve --port N --repo PATH`, the built binary with HOME in a scratch
/// folder (so no config of the machine's is read or written).
final class QuickStartTests: XCTestCase {
    static let binary = #filePath.components(separatedBy: "/Tests/")[0] + "/.build/debug/burrow"

    func testQuickFlagsParse() throws {
        XCTAssertEqual(try CommandLineParser.parse(["serve", "--port", "9000", "--repo", "a", "--repo=b"]).get(),
                       .serve(configPath: nil, port: 9000, repos: ["a", "b"]))
        XCTAssertEqual(try CommandLineParser.parse(["init", "--config", "x.json", "--repo", "a"]).get(),
                       .initialize(configPath: "x.json", port: nil, repos: ["a"]))
        XCTAssertEqual(try CommandLineParser.parse(["init", "--podman-socket", "/run/user/1005/podman/podman.sock"]).get(),
                       .initialize(configPath: nil, port: nil, repos: [], socket: "/run/user/1005/podman/podman.sock"))
        for bad in [["serve", "--port", "70000"], ["serve", "--port", "x"], ["init", "extra"], ["init", "--repo"]] {
            guard case .failure = CommandLineParser.parse(bad) else { return XCTFail("\(bad) parsed") }
        }
        XCTAssertEqual(LocalRepoPath.name(for: "/home/me/my repo!"), "my-repo-")
        XCTAssertEqual(LocalRepoPath.name(for: "/srv/.hidden"), "hidden")
    }

    func testInitWritesAWorkingConfigThatServesAndNeverOverwrites() async throws {
        let home = try TemporaryDirectory.make("burrow-init")
        defer { FileSystem.removeTree(home) }
        let repo = try await BurrowTestApp.makeRepo()
        defer { FileSystem.removeTree(repo) }
        let port = try freePort()
        let environment = ["HOME": home, "ANTHROPIC_API_KEY": "", "CLAUDE_CODE_OAUTH_TOKEN": "", "BURROW_TOKEN": "init-token-0123456789"]

        let notARepo = try await run(["init", "--repo", home], environment)
        XCTAssertEqual(notARepo.status, 1)
        XCTAssertTrue(notARepo.stderr.contains("not a git repository"), notARepo.stderr)
        XCTAssertFalse(FileSystem.exists(home + "/.config/burrow/burrow.json"), "nothing written for a bad repo")

        let created = try await run(["init", "--repo", repo, "--port", "\(port)"], environment)
        XCTAssertEqual(created.status, 0, created.stderr)
        let path = home + "/.config/burrow/burrow.json"
        let written = try FileSystem.readFile(path)
        XCTAssertEqual((FileSystem.status(path)?.mode ?? 0) & 0o777, 0o600)
        let config = try ConfigLoader.parse(written)
        XCTAssertEqual(config.repos.map(\.path), [repo])
        XCTAssertEqual(config.listen, "127.0.0.1:\(port)")
        XCTAssertNil(config.credentials.anthropic, "none found: none written (serve refuses one it cannot read)")
        XCTAssertTrue(created.stdout.contains("claude setup-token"), "no credential found: how to get one is explained: \(created.stdout)")

        let again = try await run(["init", "--port", "1"], environment)
        XCTAssertEqual(again.status, 1)
        XCTAssertTrue(again.stderr.contains("exists"), again.stderr)
        XCTAssertEqual(try FileSystem.readFile(path), written, "the existing config is untouched")

        // Working: `burrow serve` takes it as it is and offers the repo.
        let repos = try await serving(["serve"], environment, port: port)
        XCTAssertEqual(repos, [LocalRepoPath.name(for: repo)])

        let withKey = try await run(["init", "--config", home + "/other.json"], environment.merging(["ANTHROPIC_API_KEY": "sk-test"]) { $1 })
        XCTAssertEqual(withKey.status, 0, withKey.stderr)
        XCTAssertEqual(try ConfigLoader.parse(try FileSystem.readFile(home + "/other.json")).credentials.anthropic?.env, "ANTHROPIC_API_KEY")

        // A dedicated Podman user's socket, named: written as it is; a path that is not a socket: nothing written.
        let notSocket = try await run(["init", "--config", home + "/third.json", "--podman-socket", repo], environment)
        XCTAssertEqual(notSocket.status, 1)
        XCTAssertTrue(notSocket.stderr.contains("is not a socket"), notSocket.stderr)
        XCTAssertFalse(FileSystem.exists(home + "/third.json"))
        _ = try await PodmanTestEnvironment.client()  // skips without the test Podman, as the other Podman tests
        let socket = try XCTUnwrap(PodmanTestEnvironment.socket)
        let named = try await run(["init", "--config", home + "/third.json", "--podman-socket", socket], environment)
        XCTAssertEqual(named.status, 0, named.stderr)
        XCTAssertEqual(try ConfigLoader.parse(try FileSystem.readFile(home + "/third.json")).podmanSocket, socket)
        XCTAssertFalse(withKey.stdout.contains("claude setup-token"), withKey.stdout)
    }

    func testServeQuickFlagsServeOneRepoWithoutAConfig() async throws {
        let home = try TemporaryDirectory.make("burrow-quick")
        defer { FileSystem.removeTree(home) }
        let repo = try await BurrowTestApp.makeRepo()
        defer { FileSystem.removeTree(repo) }
        let environment = ["HOME": home, "BURROW_TOKEN": "quick-token-0123456789"]
        let bad = try await run(["serve", "--port", "\(try freePort())", "--repo", home], environment)
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("not a git repository"), bad.stderr)
        XCTAssertFalse(FileSystem.exists(home + "/.local/state/burrow"), "refused before anything was created")

        let port = try freePort()
        let repos = try await serving(["serve", "--port", "\(port)", "--repo", repo], environment, port: port) {
            // The client commands find it through <stateDir>/address, and with --server.
            let list = try await Self.run(["ls"], environment)
            XCTAssertEqual(list.status, 0, list.stderr)
            XCTAssertEqual(list.stdout, "no burrows\n")
            let named = try await Self.run(["ls", "--server", "http://127.0.0.1:\(port)"], environment)
            XCTAssertEqual(named.stdout, "no burrows\n", named.stderr)
        }
        XCTAssertEqual(repos, [LocalRepoPath.name(for: repo)])
    }

    /// Starts the binary, waits for `port`, returns the names `/api/repos` lists, then stops it.
    func serving(_ arguments: [String], _ environment: [String: String], port: UInt16,
                 also: @Sendable () async throws -> Void = {}) async throws -> [String] {
        let binary = Self.binary
        let server = Task { try await Subprocess.run([binary] + arguments, environment: environment, timeout: .seconds(60)) }
        defer { server.cancel() }
        let api = BurrowAPIClient(target: ServerTarget(address: .ipv4("127.0.0.1", port: port), host: "127.0.0.1:\(port)",
                                                       token: environment["BURROW_TOKEN"] ?? ""))
        var body: [UInt8]?
        for _ in 0..<200 where body == nil {
            body = try? await api.send(.get, "/api/repos")
            if body == nil { try await Task.sleep(for: .milliseconds(50)) }
        }
        guard let body else {
            server.cancel()
            let result = try? await server.value
            XCTFail("burrow \(arguments.joined(separator: " ")) did not answer on \(port): \(String(describing: result))")
            return []
        }
        try await also()
        struct Repo: Decodable { let name: String }
        return try JSONDecoder().decode([Repo].self, from: Data(body)).map(\.name)
    }

    func run(_ arguments: [String], _ environment: [String: String]) async throws -> Subprocess.Result {
        try await Self.run(arguments, environment)
    }

    static func run(_ arguments: [String], _ environment: [String: String]) async throws -> Subprocess.Result {
        try await Subprocess.run([Self.binary] + arguments, environment: environment, timeout: .seconds(60))
    }

    func freePort() throws -> UInt16 { try ClientCommandBinaryTests.freePort() }
}
