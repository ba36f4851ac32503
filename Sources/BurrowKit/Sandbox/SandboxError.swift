import BurrowSystem
import BurrowPodman

/// What stops the sandbox from being set up, with the fix.
public enum SandboxError: Error, CustomStringConvertible, Sendable {
    case forwarderMissing(path: String)
    case seccompDefaultMissing(tried: [String])

    public var description: String {
        switch self {
        case .forwarderMissing(let path):
            "burrow-forwarder not found at \(path): build it with `swift build -c release` (it is built beside `burrow`), or set \"forwarderPath\""
        case .seccompDefaultMissing(let tried):
            "Podman's default seccomp profile, which Burrow extends to block nested user namespaces, was not found (tried \(tried.joined(separator: ", "))): install containers-common, or set \"sandbox\": {\"allowNestedNamespaces\": true}"
        }
    }
}
