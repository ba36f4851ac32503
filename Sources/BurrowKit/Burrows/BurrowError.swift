import BurrowSystem
import BurrowPodman

/// Why the burrow lifecycle refused a request, in the user's terms; the routes turn these into HTTP.
public enum BurrowError: Error, Sendable, Equatable, CustomStringConvertible {
    case notFound(id: String)
    case invalid(String, detail: String? = nil)
    case conflict(String, detail: String? = nil)
    case podmanUnavailable(String)
    case stateDirFull(String, detail: String)
    /// Git or gh on the host refused (a push the remote rejected, a branch that moved).
    case hostGit(String, detail: String)

    public var description: String {
        switch self {
        case .notFound(let id): "no burrow \(id)"
        case .invalid(let message, let detail), .conflict(let message, let detail): message + (detail.map { ": \($0)" } ?? "")
        case .podmanUnavailable(let message): message
        case .stateDirFull(let message, let detail), .hostGit(let message, let detail): "\(message): \(detail)"
        }
    }
}
