import BurrowSystem

/// Where a remote runner is and how OpenSSH is told to reach it: always in batch mode (no prompt),
/// strict host key checking against Burrow's own known_hosts file for that runner (never the user's,
/// never trust on first use), only the configured key, and no ssh_config that could add a
/// ProxyCommand or a LocalCommand behind Burrow's back.
public struct SSHDestination: Sendable, Equatable {
    public let user: String
    public let host: String
    public let port: Int

    public init(user: String, host: String, port: Int = 22) {
        self.user = user
        self.host = host
        self.port = port
    }

    /// `user@host` or `user@host:port`; nothing that starts with `-` or holds spaces or quotes.
    public init?(parsing text: String) {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        var host = String(parts[1])
        var port = 22
        if let colon = host.lastIndex(of: ":"), !host.hasSuffix("]") {
            guard let number = Int(host[host.index(after: colon)...]), (1...65535).contains(number) else { return nil }
            port = number
            host = String(host[..<colon])
        }
        let allowed: (Character) -> Bool = { $0.isLetter || $0.isNumber || "._-".contains($0) }
        let user = String(parts[0])
        guard !user.isEmpty, !host.isEmpty, !user.hasPrefix("-"), !host.hasPrefix("-"),
              user.allSatisfy(allowed), host.allSatisfy({ allowed($0) || $0 == ":" }) else { return nil }
        self.init(user: user, host: host, port: port)
    }

    /// `TYPE BASE64`, as the key part of a known_hosts line.
    static func isHostKey(_ text: String) -> Bool {
        let fields = text.split(separator: " ")
        guard fields.count >= 2, fields[0].hasPrefix("ssh-") || fields[0].hasPrefix("ecdsa-") || fields[0].hasPrefix("sk-") else { return false }
        return fields[1].allSatisfy { $0.isLetter || $0.isNumber || "+/=".contains($0) }
    }

    /// The known_hosts line for `key` at this destination (`[host]:port` unless the port is 22).
    func knownHostsLine(key: String) -> String {
        let fields = key.split(separator: " ").prefix(2).joined(separator: " ")
        return (port == 22 ? host : "[\(host)]:\(port)") + " " + fields
    }

    /// The options every ssh call for this runner carries; `controlPath` lets calls share one connection.
    func options(identityFile: String, knownHostsFile: String, controlPath: String) -> [String] {
        ["-F", "/dev/null",
         "-o", "BatchMode=yes",
         "-o", "StrictHostKeyChecking=yes",
         "-o", "UserKnownHostsFile=\(knownHostsFile)",
         "-o", "GlobalKnownHostsFile=/dev/null",
         "-o", "IdentitiesOnly=yes",
         "-o", "IdentityFile=\(identityFile)",
         "-o", "ControlPath=\(controlPath)",
         "-o", "ServerAliveInterval=5",
         "-o", "ServerAliveCountMax=3",
         "-o", "ConnectTimeout=10",
         "-o", "ExitOnForwardFailure=yes",
         "-o", "StreamLocalBindUnlink=yes",
         "-o", "ForwardAgent=no",
         "-o", "ForwardX11=no",
         "-o", "ClearAllForwardings=no",
         "-p", String(port),
         "-l", user]
    }
}
