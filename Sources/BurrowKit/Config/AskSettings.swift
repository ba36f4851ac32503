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
public struct AskSettings: Codable, Sendable, Equatable {
    public var unlisted: UnlistedHosts
    public var seconds: Int

    public static let secondsRange = 1...300
    /// Asks waiting at once per burrow; more are denied without asking.
    public static let maxPending = 16

    public var asks: Bool { unlisted == .ask }
}

/// A launch's own `"network": {"unlisted", "askSeconds"}` (`POST /api/burrows`).
public struct AskOverride: Codable, Sendable, Equatable {
    public var unlisted: UnlistedHosts?
    public var askSeconds: Int?
    /// Deny entries this burrow adds to its rules (`Config.launchRules`).
    public var rules: [String: [String]]?

    public init(unlisted: UnlistedHosts? = nil, askSeconds: Int? = nil, rules: [String: [String]]? = nil) {
        self.unlisted = unlisted
        self.askSeconds = askSeconds
        self.rules = rules
    }
}

extension Config {
    /// A launch's settings over the repo's and the global ones; seconds out of bounds are refused.
    public func askSettings(repo: RepoConfig?, launch: AskOverride) throws(BurrowError) -> AskSettings {
        var settings = askSettings(repo: repo)
        settings.unlisted = launch.unlisted ?? settings.unlisted
        if let seconds = launch.askSeconds {
            guard AskSettings.secondsRange.contains(seconds) else {
                throw .invalid("network.askSeconds must be from \(AskSettings.secondsRange.lowerBound) to \(AskSettings.secondsRange.upperBound) seconds, not \(seconds)")
            }
            settings.seconds = seconds
        }
        return settings
    }

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
