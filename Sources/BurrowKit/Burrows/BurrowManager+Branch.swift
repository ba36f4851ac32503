import FoundationEssentials
import BurrowSystem
import BurrowPodman

/// The work's way out from the host: push the branch, open a pull request, delete the branch; and the
/// burrow's name in the list.
extension BurrowManager {
    /// What "Push branch" would do, or why it cannot.
    public struct PushInfo: Encodable, Sendable {
        public var target: PushTarget?
        public var canPush: Bool
        public var reason: String?
        public var pushed: PushRecord?
        public var pullRequests: GitHubCLI.Status
    }

    public func pushInfo(_ id: String) async throws -> PushInfo {
        let record = try record(id)
        let gh = await githubCLI.status()
        guard let repo = repo(named: record.repo) else {
            return PushInfo(target: nil, canPush: false, reason: "the repo \(record.repo) is no longer configured", pushed: record.pushed, pullRequests: gh)
        }
        do {
            let target = try await BranchPush.target(repo: repo, baseBranch: record.baseBranch, id: id)
            let reason = pushBlocker(record)
            return PushInfo(target: target, canPush: reason == nil, reason: reason, pushed: record.pushed, pullRequests: gh)
        } catch let error as BurrowError {
            return PushInfo(target: nil, canPush: false, reason: error.description, pushed: record.pushed, pullRequests: gh)
        }
    }

    private func pushBlocker(_ record: BurrowRecord) -> String? {
        if !record.state.isFinal || !record.queuedMessages.isEmpty { return "the burrow is \(record.state.rawValue): push once its turn ends" }
        guard let head = record.resultHead, head != record.baseCommit else { return "the agent changed nothing: there is no branch to push" }
        return nil
    }

    /// Pushes Burrow's result (`resultHead`) to the source repo's remote as `burrow/<id>`.
    public func pushBranch(_ id: String) async throws -> BurrowRecord {
        let record = try record(id)
        guard let repo = repo(named: record.repo) else { throw BurrowError.invalid("the repo \(record.repo) is no longer configured") }
        if let reason = pushBlocker(record) { throw BurrowError.conflict("cannot push burrow \(id)", detail: reason) }
        guard let head = record.resultHead else { throw BurrowError.conflict("burrow \(id) has no result") }
        try claim(.pushing, id)
        defer { release(id) }
        let target = try await BranchPush.target(repo: repo, baseBranch: record.baseBranch, id: id)
        try await BranchPush.push(head, to: target, repo: repo, resultRepo: folder(id) + "/result.git")
        return try await update(id) { record in
            let pullRequest = record.pushed?.branch == target.branch && record.pushed?.url == target.url ? record.pushed?.pullRequest : nil
            record.pushed = PushRecord(remote: target.remote, url: target.url, branch: target.branch, commit: head,
                                       at: Date().timeIntervalSince1970, pullRequest: pullRequest)
        }
    }

    /// Opens a pull request for the pushed branch with the host's `gh`.
    public func openPullRequest(_ id: String) async throws -> BurrowRecord {
        let record = try record(id)
        guard let repo = repo(named: record.repo) else { throw BurrowError.invalid("the repo \(record.repo) is no longer configured") }
        guard let pushed = record.pushed else { throw BurrowError.conflict("push the branch first", detail: "a pull request needs the branch on the remote") }
        if let address = pushed.pullRequest { throw BurrowError.conflict("burrow \(id) already has a pull request", detail: address) }
        try claim(.pushing, id)
        defer { release(id) }
        let base = record.baseBranch.flatMap { $0 == "burrow-base" ? nil : $0 }
        let title = String((record.title ?? Self.firstLine(record.task)).prefix(200))
        let body = "Made by Burrow (burrow \(id)) from the task:\n\n\(record.task.prefix(60_000))"
        let address = try await githubCLI.createPullRequest(repo: repo, head: pushed.branch, base: base, title: title, body: body)
        return try await update(id) { $0.pushed?.pullRequest = address }
    }

    /// Deletes the burrow's branch from the user's repo (never one the user moved); the record, the
    /// patch and Burrow's own result repository stay.
    public func deleteBranch(_ id: String) async throws -> BurrowRecord {
        try claim(.pushing, id)
        defer { release(id) }
        return try await removeBranch(id)
    }

    /// `deleteBranch` under a claim its caller holds (`pushing`, or `tearingDown` for a teardown).
    func removeBranch(_ id: String) async throws -> BurrowRecord {
        let record = try record(id)
        guard record.state.isFinal, record.queuedMessages.isEmpty else {
            throw BurrowError.conflict("burrow \(id) is \(record.state.rawValue)", detail: "delete its branch once its turn ends")
        }
        guard let branch = record.branch, let head = record.resultHead else { throw BurrowError.conflict("burrow \(id) has no branch") }
        guard let repo = repo(named: record.repo) else { throw BurrowError.invalid("the repo \(record.repo) is no longer configured") }
        try await BranchPush.deleteBranch(branch, expected: head, repo: repo)
        return try await update(id) { record in
            record.branch = nil
            record.deletedBranch = branch
        }
    }

    /// Which `gh` "Open pull request" runs (tests: a stand-in).
    public func useGitHubCLI(_ cli: GitHubCLI) { githubCLI = cli }

    /// Names the burrow (nil or blank: back to its task's first line).
    public func rename(_ id: String, title: String?) async throws -> BurrowRecord {
        _ = try record(id)
        let checked = try Self.checkTitle(title)
        return try await update(id) { $0.title = checked }
    }

    static let maxTitleLength = 120

    /// A title: at most 120 characters on one line, no control or bidirectional-override characters.
    static func checkTitle(_ title: String?) throws(BurrowError) -> String? {
        guard let title else { return nil }
        let trimmed = String(title.trimmingSpaces)
        if trimmed.isEmpty { return nil }
        guard trimmed.count <= maxTitleLength else { throw .invalid("the title is over \(maxTitleLength) characters") }
        let refused = trimmed.unicodeScalars.first { scalar in
            scalar.properties.generalCategory == .control || scalar.properties.generalCategory == .format
                || scalar.properties.generalCategory == .lineSeparator || scalar.properties.generalCategory == .paragraphSeparator
        }
        if let refused {
            throw .invalid("the title may not contain U+\(String(refused.value, radix: 16, uppercase: true).leftPadded(to: 4))", detail: "one line of visible text")
        }
        return trimmed
    }

    static func firstLine(_ text: String) -> String {
        String(text.split(separator: "\n").first { !$0.trimmingSpaces.isEmpty }?.trimmingSpaces ?? "burrow")
    }
}
