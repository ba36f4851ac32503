import BurrowSystem
import BurrowKit

/// `burrow serve --port N --repo PATH` and `burrow init --repo PATH`: a repo named after its folder
/// and a port, on top of whatever config there is (none needed), checked before anything starts.
public enum QuickFlags {
    /// A local git repository as a repo entry: the absolute path, named by its folder (made a safe name).
    public static func repo(path: String) throws(ConfigError) -> RepoConfig {
        let expanded = path.hasPrefix("~") ? FileSystem.homeDirectory + path.dropFirst() : path
        var absolute = expanded.hasPrefix("/") ? expanded : FileSystem.currentDirectory + "/" + expanded
        while absolute.count > 1 && absolute.hasSuffix("/") { absolute.removeLast() }
        guard let status = FileSystem.status(absolute), status.isDirectory else {
            throw ConfigError(field: "--repo", reason: "\(path) is not a folder; give the path of a local git repository")
        }
        guard FileSystem.exists(absolute + "/.git") else {
            throw ConfigError(field: "--repo", reason: "\(absolute) is not a git repository (no .git): `git init` it, or give the repository's top folder")
        }
        return RepoConfig(name: name(for: absolute), path: absolute)
    }

    /// The folder's name with anything but letters, digits, `.`, `_`, `-` as `-` (config's repo names).
    static func name(for path: String) -> String {
        let folder = path.split(separator: "/").last.map(String.init) ?? "repo"
        var name = String(folder.unicodeScalars.map { scalar -> Character in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "._-".unicodeScalars.contains(scalar))
                ? Character(scalar) : "-"
        })
        while name.hasPrefix(".") { name.removeFirst() }
        name = String(name.prefix(64))
        return name.isEmpty ? "repo" : name
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
