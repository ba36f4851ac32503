import BurrowSystem

/// Build junk the repo does not track and nobody asked for (`__pycache__`, `*.pyc`, …): left in the
/// burrow, out of the result. Patterns are names or globs matched at any depth; files the repo
/// already tracks are always taken home.
public enum ResultExclude {
    public static let defaults = [
        "__pycache__", "*.pyc", "*.pyo", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".tox", ".nox",
        ".coverage", "*.egg-info", ".DS_Store", "node_modules",
    ]

    /// Why a pattern is refused, or nil when it is usable.
    static func problem(_ pattern: String) -> String? {
        if pattern.isEmpty || pattern.utf8.count > 200 { return "'\(pattern.prefix(40))' must be 1 to 200 characters" }
        if pattern.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) {
            return "'\(pattern.prefix(40))' holds a control character"
        }
        if let first = pattern.first, first == ":" || first == "!" || first == "/" {
            return "'\(pattern.prefix(40))' must be a name or glob such as __pycache__ or *.pyc (no leading ':', '!' or '/')"
        }
        // Git reads a backslash before the end, or before the spaces escaped there, as escaping
        // what follows: the pattern would not mean what it says.
        if pattern.reversed().drop(while: { $0 == " " }).first == "\\" {
            return "'\(pattern.prefix(40))' ends with a backslash, which git would read as escaping what follows: leave it out"
        }
        return nil
    }

    /// The harvest's ignore file (`core.excludesFile`), one pattern a line: each name or glob at any
    /// depth (a folder with everything under it). Git ignores only files it does not track, so what
    /// the repo tracks still comes home. A pattern's trailing spaces are escaped (git would drop them).
    static func ignoreLines(_ patterns: [String]) -> String {
        patterns.filter { problem($0) == nil }.map { pattern in
            let kept = pattern.reversed().drop { $0 == " " }.count
            return "**/" + pattern.prefix(kept) + String(repeating: "\\ ", count: pattern.count - kept)
        }.joined(separator: "\n")
    }
}

extension Config {
    /// The global list, then the repo's own additions.
    func resultExclude(_ repo: RepoConfig) -> [String] { resultExclude + (repo.resultExclude ?? []) }

    func validateResultExclude() throws(ConfigError) {
        for pattern in resultExclude + repos.flatMap({ $0.resultExclude ?? [] }) {
            if let problem = ResultExclude.problem(pattern) { throw ConfigError(field: "resultExclude", reason: problem) }
        }
    }
}
