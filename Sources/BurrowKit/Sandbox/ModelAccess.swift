import FoundationEssentials
import BurrowSystem
import BurrowHTTP

/// Can burrows call the model at all? Without credentials Claude Code meets a misleading "issue with
/// the selected model" 404; with a wrong key it retried 401s for minutes. Both are said up front.
public enum ModelAccess {
    static let howToConfigure = #"add "credentials": {"anthropic": {"env": "ANTHROPIC_API_KEY"}} (or {"file": "/path/to/key"}; "#
        + "for a Claude subscription, the token `claude setup-token` prints) to the config and restart burrow serve"

    /// Why a launch of Claude Code must be refused for want of credentials; nil when it may go (a
    /// credential is configured, the network is `none` on purpose, or the agent is not Claude Code).
    public static func missingCredentials(_ config: Config) -> BurrowError? {
        guard config.credentials.anthropic == nil, config.network.mode != .none,
              config.agentCommand.first?.split(separator: "/").last == "claude" else { return nil }
        return .invalid("no model credentials are configured, so Claude Code in a burrow could not call the model", detail: howToConfigure)
    }

    /// What the upstream said to the configured credential.
    public enum Verdict: Sendable, Equatable, CustomStringConvertible {
        case accepted(status: Int)
        case refused(status: Int, message: String)
        /// Neither: the upstream answered something else (a 5xx, a 404 of a stand-in).
        case answered(status: Int, message: String)
        case unreachable(String)

        public var description: String {
            switch self {
            case .accepted(let status): "the key was accepted (GET /v1/models: \(status))"
            case .refused(let status, let message): "the key was refused (\(status))" + (message.isEmpty ? "" : ": \(message)")
            case .answered(let status, let message): "GET /v1/models answered \(status)" + (message.isEmpty ? "" : ": \(message)")
            case .unreachable(let reason): "the upstream could not be asked: \(reason)"
            }
        }
    }

    /// One real call, `GET /v1/models`, through a vault of its own (started and ended here), as a
    /// burrow's requests go. nil when no credential is configured.
    public static func check(_ config: Config, timeout: Duration = .seconds(20)) async -> Verdict? {
        guard let source = config.credentials.anthropic, let upstream = URL(string: config.credentials.resolvedUpstream) else { return nil }
        let vault = ModelVault(upstream: upstream) { try Credential.load(source) }
        let verdict: Verdict
        do {
            verdict = try await withDeadline(timeout, operation: "GET /v1/models") { try await ask(vault) }
        } catch {
            verdict = .unreachable("\(error)")
        }
        await vault.stop()
        return verdict
    }

    private static func ask(_ vault: ModelVault) async throws -> Verdict {
        var headers = HTTPHeaders()
        headers.add("anthropic-version", "2023-06-01")
        let answer = try await vault.client().open(ClientRequest("GET", "/v1/models?limit=1", headers: headers))
        defer { answer.close() }
        if let failure = answer.headers[ModelEndpoint.vaultErrorHeader] { return .unreachable(failure) }
        if (200..<300).contains(answer.status) { return .accepted(status: answer.status) }
        let message = apiMessage((try? await answer.collect(limit: 16 << 10)) ?? [])
        return ModelEndpoint.refusesKey(answer.status) ? .refused(status: answer.status, message: message) : .answered(status: answer.status, message: message)
    }

    /// The `error.message` of an API error body, as one bounded line of text.
    static func apiMessage(_ body: [UInt8]) -> String {
        struct Answer: Decodable { struct Detail: Decodable { let message: String? }; let error: Detail? }
        let message = (try? JSONDecoder().decode(Answer.self, from: Data(body)))?.error?.message ?? ""
        return String(message.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.prefix(300).map(Character.init))
    }
}
