import FoundationEssentials
import Synchronization
import BurrowSystem

/// Repositories added from the page, kept in Burrow's state (`repos.json`) beside the config file's
/// own, which they never replace or shadow. Checked like the config's repos when added.
public final class AddedRepos: Sendable {
    public static let maximum = 200
    let file: String
    private let repos: Mutex<[RepoConfig]>

    private struct Stored: Codable { var repos: [RepoConfig] }

    /// Reads the state file; a broken one stops start-up naming it (it is Burrow's own file: a person edited it).
    public init(stateDir: String) throws(ConfigError) {
        file = stateDir + "/repos.json"
        guard FileSystem.exists(file) else { repos = Mutex([]); return }
        do {
            let stored = try JSONCoding.decoder.decode(Stored.self, from: Data(try FileSystem.readFile(file, limit: 4 << 20)))
            if let bad = stored.repos.first(where: { !Config.isSafeName($0.name) || ($0.path == nil) == ($0.url == nil) }) {
                throw ConfigError(field: file, reason: "the added repository '\(bad.name.prefix(64))' needs a simple name and exactly one of path or url")
            }
            repos = Mutex(stored.repos)
        } catch {
            throw ConfigError(field: file, reason: "the repositories added from the page cannot be read (\(error)); fix the file or remove it")
        }
    }

    public var all: [RepoConfig] { repos.withLock { $0 } }

    public func named(_ name: String) -> RepoConfig? { repos.withLock { list in list.first { $0.name == name } } }

    /// Checks `repo` (a name not taken by `config`, exactly one of a local repository or a git URL),
    /// then keeps it. Nothing changes when it is refused.
    public func add(_ repo: RepoConfig, beside config: Config) throws(ConfigError) -> RepoConfig {
        var checked = RepoConfig(name: repo.name, path: nil, url: nil)
        checked.ref = repo.ref
        switch (repo.path, repo.url) {
        case (let path?, nil):
            checked.path = try LocalRepoPath.checked(path, field: "path")
            if checked.name.isEmpty { checked.name = LocalRepoPath.name(for: checked.path!) }
        case (nil, let url?):
            if let problem = LocalRepoPath.urlProblem(url) { throw ConfigError(field: "url", reason: problem) }
            checked.url = url
            if checked.name.isEmpty {
                let last = url.split(whereSeparator: { $0 == "/" || $0 == ":" }).last.map(String.init) ?? "repo"
                checked.name = LocalRepoPath.name(for: last.hasSuffix(".git") ? String(last.dropLast(4)) : last)
            }
        default:
            throw ConfigError(field: "repo", reason: "give exactly one of \"path\" (a local git repository) or \"url\" (a git remote)")
        }
        guard Config.isSafeName(checked.name), checked.name.utf8.count <= 64 else {
            throw ConfigError(field: "name", reason: "use 1 to 64 letters, digits, '.', '_' or '-'")
        }
        if let ref = checked.ref, ref.isEmpty || ref.hasPrefix("-") || ref.utf8.count > 200 || ref.contains(where: \.isWhitespace) {
            throw ConfigError(field: "ref", reason: "a branch or tag name: no spaces, not starting with '-', at most 200 characters")
        }
        if config.repo(named: checked.name) != nil {
            throw ConfigError(field: "name", reason: "'\(checked.name)' is a repo of the config file already; choose another name")
        }
        try repos.withLock { (list: inout [RepoConfig]) throws(ConfigError) in
            guard !list.contains(where: { $0.name == checked.name }) else {
                throw ConfigError(field: "name", reason: "a repo named '\(checked.name)' was added already; remove it first or choose another name")
            }
            guard list.count < Self.maximum else {
                throw ConfigError(field: "repo", reason: "\(Self.maximum) repositories were added already; remove some first")
            }
            try save(list + [checked])
            list.append(checked)
        }
        return checked
    }

    /// Forgets an added repo; false when there was none of that name.
    public func remove(_ name: String) throws(ConfigError) -> Bool {
        try repos.withLock { (list: inout [RepoConfig]) throws(ConfigError) -> Bool in
            guard let index = list.firstIndex(where: { $0.name == name }) else { return false }
            var kept = list
            kept.remove(at: index)
            try save(kept)
            list = kept
            return true
        }
    }

    private func save(_ list: [RepoConfig]) throws(ConfigError) {
        do {
            try FileSystem.writeAtomically(Array(try JSONCoding.encoder.encode(Stored(repos: list))), to: file, mode: 0o600)
        } catch {
            throw ConfigError(field: file, reason: "cannot save the added repositories: \(error)")
        }
    }
}
