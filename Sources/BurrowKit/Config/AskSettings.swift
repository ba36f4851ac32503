import BurrowSystem

/// What the egress proxy does with a request to a host that is not on the allowlist.
public enum UnlistedHosts: String, Codable, Sendable, Equatable {
    /// Refused at once with a 403 (the default).
    case deny
    /// Held, without an upstream connection, while a person on the page is asked; denied when no
    /// one answers within `askSeconds`.
    case ask
}

/// One burrow's asking: whether it asks and how long a held request waits.
public struct AskSettings: Sendable, Equatable {
    public var unlisted: UnlistedHosts
    public var seconds: Int

    public static let secondsRange = 1...300
    /// Asks waiting at once per burrow; more are denied without asking.
    public static let maxPending = 16

    public var asks: Bool { unlisted == .ask }
}

extension Config {
    /// The repo's settings over the global ones.
    public func askSettings(repo: RepoConfig?) -> AskSettings {
        AskSettings(unlisted: repo?.unlisted ?? network.unlisted, seconds: repo?.askSeconds ?? network.askSeconds)
    }

    func validateAsking() throws(ConfigError) {
        let range = AskSettings.secondsRange
        if !range.contains(network.askSeconds) {
            throw ConfigError(field: "network.askSeconds", reason: "must be from \(range.lowerBound) to \(range.upperBound) seconds, not \(network.askSeconds)")
        }
        for (index, repo) in repos.enumerated() {
            if let seconds = repo.askSeconds, !range.contains(seconds) {
                throw ConfigError(field: "repos[\(index)].askSeconds", reason: "must be from \(range.lowerBound) to \(range.upperBound) seconds, not \(seconds)")
            }
        }
    }
}
