import BurrowSystem
import BurrowPodman

/// What can go wrong while a repository crosses into a burrow or the work comes home, said so that
/// the user knows what happened to their work and what to do.
public enum CrossingError: Error, CustomStringConvertible, Sendable {
    case sourceUnreadable(repo: String, detail: String)
    case helperImage(String)
    case agentUser(image: String, user: String, detail: String)
    case helperFailed(step: String, detail: String)
    case helperTimedOut(step: String, seconds: Int)
    case resultTooLarge(bytes: Int64, limit: Int64)
    case resultRejected(String)
    case unexpected(String)

    public var description: String {
        switch self {
        case .sourceUnreadable(let repo, let detail):
            "cannot read repo '\(repo)': \(detail) (check its path or url and ref in the config)"
        case .helperImage(let detail):
            "cannot build Burrow's helper image: \(detail) (it needs /bin/busybox from Debian's busybox-static and /usr/bin/git on the host)"
        case .agentUser(let image, let user, let detail):
            "the image \(image) has no usable agent user '\(user)': \(detail) (set agentUser to a user of the image, or a numeric uid:gid)"
        case .helperFailed(let step, let detail):
            "\(step) failed inside the sandbox: \(detail)"
        case .helperTimedOut(let step, let seconds):
            "\(step) did not finish within \(seconds) s inside the sandbox; the workspace is kept until teardown"
        case .resultTooLarge(let bytes, let limit):
            "the agent's new commits are \(bytes >> 20) MiB, over the \(limit >> 20) MiB limit; nothing was brought home, the workspace is kept until teardown (remove large files in a follow-up)"
        case .resultRejected(let detail):
            "the work that came out of the burrow was refused: \(detail); the workspace is kept until teardown"
        case .unexpected(let detail):
            detail
        }
    }
}
