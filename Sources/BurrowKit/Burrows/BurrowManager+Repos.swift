import BurrowSystem

/// The repositories burrows can start from: the config file's, then those added from the page.
extension BurrowManager {
    public struct RepoEntry: Codable, Sendable {
        public let repo: RepoConfig
        /// "config" (the config file; changed there) or "page" (added from the page; removable there).
        public let origin: String

        public init(repo: RepoConfig, origin: String) {
            self.repo = repo
            self.origin = origin
        }
    }

    public nonisolated func repo(named name: String) -> RepoConfig? { config.repo(named: name) ?? addedRepos.named(name) }

    public nonisolated var allRepos: [RepoEntry] {
        config.repos.map { RepoEntry(repo: $0, origin: "config") }
            + addedRepos.all.filter { config.repo(named: $0.name) == nil }.map { RepoEntry(repo: $0, origin: "page") }
    }

    public func addRepo(_ repo: RepoConfig) throws -> RepoConfig {
        do { return try addedRepos.add(repo, beside: config) } catch { throw BurrowError.invalid("cannot add the repository", detail: "\(error.field): \(error.reason)") }
    }

    /// Forgets a repo added from the page; its burrows' records stay. Refused while one of its burrows is active.
    public func removeRepo(_ name: String) throws {
        guard addedRepos.named(name) != nil else {
            if config.repo(named: name) != nil {
                throw BurrowError.conflict("'\(name)' comes from the config file", detail: "remove it there and restart Burrow")
            }
            throw BurrowError.invalid("no repository '\(name)' was added from the page")
        }
        let active = records.values.filter { $0.repo == name && !$0.state.isFinal }.map(\.id)
        guard active.isEmpty else {
            throw BurrowError.conflict("'\(name)' has burrows still working", detail: "stop them first: \(active.sorted().joined(separator: ", "))")
        }
        do { _ = try addedRepos.remove(name) } catch { throw BurrowError.invalid("cannot remove the repository", detail: error.reason) }
    }
}
