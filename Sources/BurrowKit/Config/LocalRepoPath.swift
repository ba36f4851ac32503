import BurrowSystem

/// A local git repository named by the user (a flag, the page): checked before anything uses it.
public enum LocalRepoPath {
    /// The absolute path without trailing slashes, or why it cannot be a repo; `field` names where it came from.
    public static func checked(_ path: String, field: String) throws(ConfigError) -> String {
        let expanded = path.hasPrefix("~") ? FileSystem.homeDirectory + path.dropFirst() : path
        var absolute = expanded.hasPrefix("/") ? expanded : FileSystem.currentDirectory + "/" + expanded
        while absolute.count > 1 && absolute.hasSuffix("/") { absolute.removeLast() }
        guard let status = FileSystem.status(absolute), status.isDirectory else {
            throw ConfigError(field: field, reason: "\(path) is not a folder; give the path of a local git repository")
        }
        guard FileSystem.exists(absolute + "/.git") else {
            throw ConfigError(field: field, reason: "\(absolute) is not a git repository (no .git): `git init` it, or give the repository's top folder")
        }
        return absolute
    }

    /// The folder's name with anything but letters, digits, `.`, `_`, `-` as `-` (config's repo names).
    public static func name(for path: String) -> String {
        let folder = path.split(separator: "/").last.map(String.init) ?? "repo"
        var name = String(folder.unicodeScalars.map { scalar -> Character in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "._-".unicodeScalars.contains(scalar))
                ? Character(scalar) : "-"
        })
        while name.hasPrefix(".") { name.removeFirst() }
        name = String(name.prefix(64))
        return name.isEmpty ? "repo" : name
    }

    /// A remote a user typed: https, ssh or scp-like, one line, never an option to git.
    static func urlProblem(_ url: String) -> String? {
        if url.utf8.count > 2000 || url.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7f }) {
            return "a repository URL is one line without spaces, at most 2000 characters"
        }
        let scpLike = url.contains("@") && url.contains(":") && !url.contains("://")
        guard url.hasPrefix("https://") || url.hasPrefix("ssh://") || url.hasPrefix("http://") || scpLike, !url.hasPrefix("-") else {
            return "'\(url.prefix(80))' is not a git URL: use https://host/owner/repo.git or git@host:owner/repo.git"
        }
        return nil
    }
}
