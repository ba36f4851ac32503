import BurrowSystem
import BurrowHTTP
import BurrowPodman

/// What stops the sandbox from being set up, with the fix.
public enum SandboxError: Error, CustomStringConvertible, Sendable {
    case forwarderMissing(path: String)

    public var description: String {
        switch self {
        case .forwarderMissing(let path):
            "burrow-forwarder not found at \(path): build it with `swift build -c release` (it is built beside `burrow`), or set \"forwarderPath\""
        }
    }
}
