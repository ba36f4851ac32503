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
        return nil
    }

    /// Git exclude pathspecs for the harvest script, one per line: the name itself at any depth and
    /// everything under it when it is a folder.
    static func pathspec(_ patterns: [String]) -> String {
        patterns.filter { problem($0) == nil }.flatMap { pattern in
            [":(exclude,glob)**/\(pattern)", ":(exclude,glob)**/\(pattern)/**"]
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
