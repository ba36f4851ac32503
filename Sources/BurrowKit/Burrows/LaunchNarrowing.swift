import FoundationEssentials
import BurrowSystem

/// A launch's own `network.rules` and `credentialServices` (`POST /api/burrows`): they can only
/// narrow what the repo's burrows get. Rules a launch adds are `deny` entries only (a host without
/// rules that gets some is intercepted, and what no allow entry matches is refused there); its
/// credential services are a subset of the repo's.
extension Config {
    /// At most this many entries in a launch's rules, all hosts together.
    static let maxLaunchRules = 256

    /// The launch's rules, checked; throws naming the field when they are malformed or would widen.
    public func launchRules(_ rules: [String: [String]]) throws(BurrowError) -> [String: [String]] {
        guard rules.values.reduce(0, { $0 + $1.count }) <= Self.maxLaunchRules else {
            throw .invalid("network.rules of a launch has more than \(Self.maxLaunchRules) entries")
        }
        do { _ = try NetworkRules([rules]) } catch { throw .invalid("\(error.field): \(error.reason)") }
        for (host, texts) in rules.sorted(by: { $0.key < $1.key }) {
            if let widening = texts.first(where: { RequestRule($0)?.deny != true }) {
                throw .invalid("network.rules[\"\(host)\"]: '\(widening.prefix(200))' would widen what the burrow may do",
                               detail: "a launch may only narrow: give \"deny METHOD /path-glob\" entries; allow more in Burrow's config")
            }
        }
        return rules
    }

    /// The launch's credential services, checked against what `repo`'s burrows get.
    public func launchCredentialServices(_ names: [String], repo: RepoConfig) throws(BurrowError) -> [String] {
        let offered = ServiceCredential.services(credentials, repo: repo).map(\.name)
        if let unknown = names.first(where: { !offered.contains($0) }) {
            throw .invalid("credentialServices: '\(unknown.prefix(200))' is not one of the services repo \(repo.name) gets",
                           detail: offered.isEmpty ? "it gets none" : "it gets: \(offered.joined(separator: ", "))")
        }
        return Array(Set(names)).sorted()
    }
}

extension RepoConfig {
    /// The repo as one burrow sees it: its launch's deny rules added, its credential services narrowed.
    func narrowed(by record: BurrowRecord?) -> RepoConfig {
        guard let record else { return self }
        var repo = self
        if let extra = record.launchRules { repo.rules = (repo.rules ?? [:]).merging(extra) { $0 + $1 } }
        if let names = record.credentialServices { repo.credentialServices = repo.credentialServices.map { kept in names.filter(kept.contains) } ?? names }
        return repo
    }
}
