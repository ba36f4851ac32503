extension NetworkConfig {
    /// Read-only by default where the agent reads code and packages: the GitHub API and git fetch
    /// over HTTPS (pushing is the host's job: Burrow's crossing), package registries' downloads.
    public static let defaultRules: [String: [String]] = [
        "api.github.com": ["GET /**", "HEAD /**"],
        "github.com": ["GET /**", "HEAD /**", "POST /*/*/git-upload-pack",
                       "deny * /*/*/info/refs?service=git-receive-pack**", "deny * /*/*/git-receive-pack**"],
        "uploads.github.com": [],
        "registry.npmjs.org": ["GET /**", "HEAD /**"], "registry.yarnpkg.com": ["GET /**", "HEAD /**"],
        "pypi.org": ["GET /**", "HEAD /**"], "files.pythonhosted.org": ["GET /**", "HEAD /**"],
        "crates.io": ["GET /**", "HEAD /**"], "static.crates.io": ["GET /**", "HEAD /**"], "index.crates.io": ["GET /**", "HEAD /**"],
    ]
}
