@testable import BurrowKit
@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman
import Foundation
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// The real Claude Code in the agent image built by `burrow image build` (scripts/test.sh's stage
/// "the agent image"), burrows launched with it through Burrow's model endpoint to a stand-in API.
enum RealAgentEnvironment {
    static var image: String { FileSystem.environment("BURROW_TEST_AGENT_IMAGE") ?? "localhost/burrow-agent:latest" }

    /// The image, or a skip (a failure under scripts/test.sh, which builds it) when it is missing.
    static func requireImage() async throws -> String {
        let podman = try await PodmanTestEnvironment.client()
        if try await podman.imageExists(image) { return image }
        if FileSystem.environment("BURROW_REQUIRE_AGENT_IMAGE") == "1" {
            throw PodmanError.imageMissing(image: image)
        }
        throw XCTSkip("no agent image \(image): build it with `burrow image build --tag \(image)` (scripts/test.sh does)")
    }

    /// A test repo that also holds the probe MCP server.
    static func makeRepo() async throws -> String {
        let path = try await BurrowTestApp.makeRepo()
        try FileSystem.writeAtomically(Array(ProbeMCPServer.source.utf8), to: path + "/" + ProbeMCPServer.fileName)
        try await Subprocess.check(["git", "-C", path, "add", "."])
        try await Subprocess.check(["git", "-C", path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet", "-m", "probe MCP server"])
        return path
    }

    /// A Burrow whose burrows run the real Claude Code (the default agentCommand) in the agent image,
    /// with the allowlist network and `credential` added at the model endpoint for `api`.
    static func app(api: ScriptedMessagesAPI, credential: String, configure: (inout Config) -> Void = { _ in }) async throws -> BurrowTestApp {
        let image = try await requireImage()
        let variable = "BURROW_TEST_CREDENTIAL_\(UInt32.random(in: 0...UInt32.max))"
        setenv(variable, credential, 1)
        let repo = try await makeRepo()
        return try await BurrowTestApp(repoPath: repo) { config in
            config.image = image
            config.agentCommand = Config().agentCommand
            config.resumeCommand = Config().resumeCommand
            config.caches = []
            config.network = NetworkConfig(mode: .allowlist)
            config.credentials = CredentialsConfig(anthropic: .init(env: variable), upstream: api.upstream)
            configure(&config)
        }
    }

    /// Runs `body` with such a Burrow, then removes what its burrows left in Podman and stops `api`,
    /// whether `body` passed or threw.
    static func with(api: ScriptedMessagesAPI, credential: String, configure: (inout Config) -> Void = { _ in },
                     _ body: (BurrowTestApp) async throws -> Void) async throws {
        let made = try await app(api: api, credential: credential, configure: configure)
        do {
            try await body(made)
        } catch {
            await made.cleanUp()
            await api.stop()
            throw error
        }
        await made.cleanUp()
        await api.stop()
    }

    /// The agent's stream-json events of a burrow (kind `agent`), decoded.
    static func agentEvents(_ events: [StreamEvent]) -> [JSONValue] {
        events.filter { $0.kind == "agent" }.compactMap { try? JSONDecoder().decode(JSONValue.self, from: Data($0.data.utf8)) }
    }

    /// The text of every tool result in the agent's `user` events.
    static func toolResults(_ events: [JSONValue]) -> [String] {
        events.filter { $0["type"] == .string("user") }.flatMap { event -> [String] in
            guard case .array(let parts)? = event["message"]?["content"] else { return [] }
            return parts.filter { $0["type"] == .string("tool_result") }.map { ScriptedMessagesAPI.text(of: $0["content"]) }
        }
    }
}
