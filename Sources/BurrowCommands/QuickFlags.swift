import BurrowSystem
import BurrowKit

/// `burrow serve --port N --repo PATH` and `burrow init --repo PATH`: a repo named after its folder
/// and a port, on top of whatever config there is (none needed), checked before anything starts.
public enum QuickFlags {
    /// A local git repository as a repo entry: the absolute path, named by its folder (made a safe name).
    public static func repo(path: String) throws(ConfigError) -> RepoConfig {
        let absolute = try LocalRepoPath.checked(path, field: "--repo")
        return RepoConfig(name: LocalRepoPath.name(for: absolute), path: absolute)
    }

    /// Applies `--port` (same host as the config's `listen`) and `--repo`s; the result is validated.
    public static func apply(port: UInt16?, repos: [String], to config: inout Config) throws(ConfigError) {
        if let port {
            switch try config.listenAddress {
            case .ipv6(let host, _): config.listen = "[\(host)]:\(port)"
            case .ipv4(let host, _): config.listen = "\(host):\(port)"
            case .unix: config.listen = "127.0.0.1:\(port)"
            }
        }
        for path in repos {
            let repo = try repo(path: path)
            if let existing = config.repo(named: repo.name) {
                if existing.path == repo.path { continue }
                throw ConfigError(field: "--repo", reason: "the config already has a repo named '\(repo.name)' (\(existing.path ?? existing.url ?? "")); launch on that one, or rename it in the config")
            }
            config.repos.append(repo)
        }
        try config.validate()
    }
}
