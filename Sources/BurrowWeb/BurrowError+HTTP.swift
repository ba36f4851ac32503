import BurrowSystem
import BurrowHTTP
import BurrowPodman
import BurrowKit

/// How the lifecycle's refusals answer over HTTP.
extension BurrowError: HTTPErrorConvertible {
    public var httpError: HTTPError {
        switch self {
        case .notFound(let id): HTTPError(.notFound, "no burrow \(id)")
        case .invalid(let message, let detail): HTTPError(.badRequest, message, detail: detail)
        case .conflict(let message, let detail): HTTPError(.conflict, message, detail: detail)
        case .podmanUnavailable(let message): HTTPError(.serviceUnavailable, message)
        case .stateDirFull(let message, let detail): HTTPError(.insufficientStorage, message, detail: detail)
        case .hostGit(let message, let detail): HTTPError(.badGateway, message, detail: detail)
        }
    }
}
