import BurrowSystem

/// Who may see a preview. The burrow's page (signed in with Burrow's token) asks for a one-time code
/// for one burrow and port; the preview origin trades it, once and within a minute, for a session
/// cookie of its own (HttpOnly, for that origin only). Burrow's token never goes to a preview origin,
/// and no URL that persists (history, bookmarks) holds anything that still works.
public final class PreviewSessions: Sendable {
    public static let cookieName = "burrow_preview"
    static let codeLifetime = Duration.seconds(60)
    static let sessionLifetime = Duration.seconds(12 * 3600)
    static let maxCodes = 256
    static let maxSessions = 1024

    struct Grant {
        let preview: PreviewHost
        let expires: ContinuousClock.Instant
    }

    private let codes = Locked<[String: Grant]>([:])
    private let sessions = Locked<[String: Grant]>([:])

    public init() {}

    public func issueCode(for preview: PreviewHost) -> String {
        let code = AccessToken.random()
        Self.insert(code, Grant(preview: preview, expires: .now + Self.codeLifetime), into: codes, limit: Self.maxCodes)
        return code
    }

    /// A new session for `preview` when `code` was issued for it and is unused and fresh; the code is
    /// spent either way.
    public func redeem(_ code: String, for preview: PreviewHost) -> String? {
        guard let grant = codes.withLock({ $0.removeValue(forKey: code) }), grant.preview == preview, grant.expires > .now else { return nil }
        let session = AccessToken.random()
        Self.insert(session, Grant(preview: preview, expires: .now + Self.sessionLifetime), into: sessions, limit: Self.maxSessions)
        return session
    }

    public func admits(_ session: String?, to preview: PreviewHost) -> Bool {
        guard let session, let grant = sessions.withLock({ $0[session] }) else { return false }
        return grant.preview == preview && grant.expires > .now
    }

    /// Adds, dropping expired entries, then the oldest ones, so the table never exceeds `limit`.
    private static func insert(_ key: String, _ grant: Grant, into table: Locked<[String: Grant]>, limit: Int) {
        table.withLock { entries in
            let now = ContinuousClock.now
            if entries.count >= limit { entries = entries.filter { $0.value.expires > now } }
            while entries.count >= limit, let oldest = entries.min(by: { $0.value.expires < $1.value.expires }) {
                entries.removeValue(forKey: oldest.key)
            }
            entries[key] = grant
        }
    }
}
