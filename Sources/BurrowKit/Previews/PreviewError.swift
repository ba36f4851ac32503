/// Why a preview cannot be served; each says what the user can do.
public enum PreviewError: Error, CustomStringConvertible, Sendable, Equatable {
    case unknownBurrow(String)
    /// The burrow exists but its agent is not running (finished, stopped, queued).
    case notRunning(id: String, state: String)
    case notListening(port: Int)
    case refused(port: Int)
    case relayFailed(String)
    case busy(limit: Int)

    public var description: String {
        switch self {
        case .unknownBurrow(let id): "no burrow \(id)"
        case .notRunning(let id, let state):
            "burrow \(id) is \(state): its servers ended with its agent; send it a message to start a new turn, then open the preview again"
        case .notListening(let port): "nothing in this burrow listens on port \(port) (see the burrow's previews for the ports that do)"
        case .refused(let port): "the burrow refused the connection to port \(port) (its server stopped or is overloaded)"
        case .relayFailed(let reason):
            "Burrow could not enter the burrow's network namespace (\(reason)); Burrow needs `nsenter` and, unless it runs as root, `podman unshare` as Podman's own user"
        case .busy(let limit): "\(limit) preview connections are open already (previews.maxConnections); close some tabs or raise the limit"
        }
    }
}
