/// The real credential, as Burrow handed it over. An API key goes out as `x-api-key`; an OAuth token
/// (Claude subscription, `sk-ant-oat…`) as a bearer token with the OAuth beta flag.
struct VaultCredential: Sendable {
    let value: String

    init(value: String) {
        self.value = String(value.filter { !$0.isWhitespace })
    }

    var headers: [(String, String)] {
        value.hasPrefix("sk-ant-oat") ? [("Authorization", "Bearer \(value)"), ("anthropic-beta", "oauth-2025-04-20")]
            : [("x-api-key", value)]
    }
}
