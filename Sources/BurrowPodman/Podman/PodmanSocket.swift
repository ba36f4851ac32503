import BurrowSystem
import BurrowHTTP

/// Finds the Podman API socket: config `podmanSocket` (a path or `unix://path`), or for `auto`:
/// `$CONTAINER_HOST` (unix only), `$XDG_RUNTIME_DIR/podman/podman.sock`, `/run/user/$UID/podman/podman.sock`,
/// `/run/podman/podman.sock` — the first that exists.
public enum PodmanSocket {
    public static func candidates(configured: String, environment: (String) -> String? = FileSystem.environment,
                                  uid: UInt32 = FileSystem.userID) -> [String] {
        if configured != "auto" && !configured.isEmpty { return [stripScheme(configured)] }
        var paths: [String] = []
        if let host = environment("CONTAINER_HOST"), host.hasPrefix("unix://") { paths.append(stripScheme(host)) }
        if let runtime = environment("XDG_RUNTIME_DIR"), !runtime.isEmpty { paths.append(runtime + "/podman/podman.sock") }
        paths.append("/run/user/\(uid)/podman/podman.sock")
        paths.append("/run/podman/podman.sock")
        var seen = Set<String>()
        return paths.filter { seen.insert($0).inserted }
    }

    public static func locate(configured: String, environment: (String) -> String? = FileSystem.environment,
                              uid: UInt32 = FileSystem.userID) throws(PodmanError) -> String {
        let paths = candidates(configured: configured, environment: environment, uid: uid)
        guard let found = paths.first(where: FileSystem.exists) else { throw .socketNotFound(tried: paths) }
        return found
    }

    static func stripScheme(_ text: String) -> String {
        text.hasPrefix("unix://") ? String(text.dropFirst(7)) : text
    }
}
