import BurrowSystem
import BurrowPodman

/// The host's `gh`, for "Open pull request": found on PATH and signed in (`gh auth status`), or the
/// reason it cannot be used. It runs with the user's own gh login; every value Burrow passes is an
/// `--option=value` word, so no text can become an option.
public struct GitHubCLI: Sendable {
    public struct Status: Codable, Sendable, Equatable {
        public var available: Bool
        public var reason: String?
    }

    /// The program; nil: look for `gh` on PATH.
    var program: String?
    /// The last answer and until when it holds: `gh auth status` asks GitHub, so the page's every
    /// look at a burrow must not.
    private let known = Locked<(status: Status, until: UInt64)?>(nil)
    static let statusLifetime: Duration = .seconds(300)

    public init(program: String? = nil) { self.program = program }

    func executable() -> String? {
        if let program { return FileSystem.exists(program) ? program : nil }
        let path = FileSystem.environment("PATH") ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").map { $0 + "/gh" }.first { FileSystem.status($0).map { $0.isRegular && $0.mode & 0o111 != 0 } ?? false }
    }

    func status() async -> Status {
        let now = Monotonic.now()
        if let cached = known.withLock({ $0 }), cached.until > now { return cached.status }
        let status = await probe()
        known.withLock { $0 = (status, Monotonic.after(Self.statusLifetime)) }
        return status
    }

    private func probe() async -> Status {
        guard let gh = executable() else {
            return Status(available: false, reason: "the GitHub CLI (gh) is not installed on the host")
        }
        guard let result = try? await Subprocess.run([gh, "auth", "status"], environment: ["GH_PROMPT_DISABLED": "1"], timeout: .seconds(15)),
              result.succeeded else {
            return Status(available: false, reason: "gh is not signed in on the host: run gh auth login")
        }
        return Status(available: true, reason: nil)
    }

    /// Opens a pull request from `head` and returns its address.
    func createPullRequest(repo: RepoConfig, head: String, base: String?, title: String, body: String) async throws -> String {
        guard let gh = executable() else { throw BurrowError.invalid("the GitHub CLI (gh) is not installed on the host") }
        var command = [gh, "pr", "create", "--head=\(head)", "--title=\(title)", "--body=\(body)"]
        if let base { command.append("--base=\(base)") }
        if let path = repo.path.map(Config.expandHome) {
            command = ["env", "-C", path] + command          // gh finds the repository from the remotes there
        } else if let url = repo.url {
            command.append("--repo=\(url)")
        }
        let result: Subprocess.Result
        do {
            result = try await Subprocess.run(command, environment: ["GH_PROMPT_DISABLED": "1", "GIT_TERMINAL_PROMPT": "0"], timeout: .seconds(60))
        } catch let error as Subprocess.TimedOut {
            throw BurrowError.hostGit("gh did not finish", detail: error.description)
        }
        guard result.succeeded else {
            throw BurrowError.hostGit("gh pr create failed", detail: String(BranchPush.redact(result.stderr).prefix(600)))
        }
        guard let address = result.stdout.split(whereSeparator: \.isWhitespace).last(where: { $0.hasPrefix("https://") }) else {
            throw BurrowError.hostGit("gh pr create printed no address", detail: String(result.stdout.prefix(200)))
        }
        return String(address)
    }
}
