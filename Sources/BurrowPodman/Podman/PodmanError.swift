import BurrowSystem
import BurrowHTTP

/// What went wrong talking to Podman, with what to do about it.
public enum PodmanError: Error, CustomStringConvertible, Sendable, Equatable {
    /// No socket at any place looked at.
    case socketNotFound(tried: [String])
    /// A socket file exists but nothing answers on it.
    case unreachable(socket: String, reason: String)
    /// A remote runner's Podman, whose socket is forwarded over SSH, does not answer.
    case runnerUnreachable(runner: String, reason: String)
    /// Podman answered with an error: its own `{"cause","message","response"}`.
    case api(operation: String, status: Int, cause: String, message: String)
    case notFound(operation: String, message: String)
    case imageMissing(image: String)
    case malformedResponse(operation: String, reason: String)
    case streamInterrupted(operation: String, reason: String)
    /// Podman accepted the call and never answered within its deadline (its service stuck or swamped);
    /// `since`: since when no call was answered, when one was sent.
    case notAnswering(operation: String, waited: String, since: String?)

    public var description: String {
        switch self {
        case .socketNotFound(let tried):
            "no Podman socket found (looked at \(tried.joined(separator: ", "))); start one with `systemctl --user enable --now podman.socket`, or `podman system service --time=0 unix://$XDG_RUNTIME_DIR/podman/podman.sock`, or set \"podmanSocket\" in the config"
        case .unreachable(let socket, let reason):
            "the Podman socket \(socket) does not answer (\(reason)); is the service running? Start it with `systemctl --user start podman.socket` or `podman system service --time=0 unix://\(socket)`"
        case .runnerUnreachable(let runner, let reason):
            "runner \(runner) does not answer: its SSH connection is down or being made again (\(reason)); `burrow doctor` checks it"
        case .api(let operation, let status, let cause, let message):
            "Podman refused \(operation) (HTTP \(status)): \(message.isEmpty ? cause : message)"
        case .notFound(let operation, let message):
            "\(operation): not found (\(message))"
        case .imageMissing(let image):
            "the image \(image) is not present in this Podman; build it with `burrow image build --tag \(image)` (through this Podman's API; see README)"
        case .malformedResponse(let operation, let reason):
            "unexpected answer from Podman to \(operation): \(reason)"
        case .streamInterrupted(let operation, let reason):
            "the Podman stream for \(operation) ended abruptly: \(reason)"
        case .notAnswering(let operation, let waited, let since):
            "Podman is not answering\(since.map { " since \($0)" } ?? "") (\(operation) got no answer in \(waited)); "
                + "Burrow carries on by itself when it answers again; if it stays stuck, restart its service "
                + "(`systemctl --user restart podman.service`)"
        }
    }

    /// The service went away (stopped, restarting): worth waiting for, unlike a refusal.
    public var isConnectionLoss: Bool {
        switch self {
        case .unreachable, .runnerUnreachable, .streamInterrupted, .notAnswering: true
        default: false
        }
    }

    public var isNotFound: Bool {
        if case .notFound = self { return true }
        if case .imageMissing = self { return true }
        return false
    }
}

extension PodmanError {
    /// The one place an HTTP client failure becomes a Podman error. A refused connection, a reset or
    /// an early end mid-stream are all the service going away (`isConnectionLoss`): worth waiting for.
    init(_ error: HTTPClientError, operation: String, socket: String) {
        switch error {
        case .connect(_, let system): self = .unreachable(socket: socket, reason: system.description)
        case .connectionLost(let reason): self = .streamInterrupted(operation: operation, reason: reason)
        case .protocolError(let reason): self = .malformedResponse(operation: operation, reason: reason)
        }
    }
}
