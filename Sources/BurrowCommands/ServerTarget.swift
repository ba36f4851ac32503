import BurrowSystem
import BurrowHTTP
import BurrowKit

/// Which running `burrow serve` a client command talks to, and with which token: the config's
/// `listen` and state dir (the same `--config` search as `serve`), `--server URL` over the address,
/// `BURROW_TOKEN` over `<stateDir>/token` (the server's own precedence). Never creates anything.
public struct ServerTarget: Sendable, Equatable {
    public let address: SocketAddress
    /// The `Host` header: one the server's access control accepts for this address.
    public let host: String
    public let token: String
    /// `<stateDir>/address`: the address a running `burrow serve` bound (written at start, removed at exit).
    public static let addressFile = "address"

    public static func resolve(configPath: String?, server: String?,
                               environmentToken: String? = FileSystem.environment("BURROW_TOKEN")) throws(ClientError) -> ServerTarget {
        let config: Config
        do { config = try ConfigLoader.load(explicit: configPath).0 } catch { throw .config(error.description) }
        let address = if let server { try parseServer(server) } else if let recorded = recordedAddress(config.resolvedStateDir) { recorded } else {
            try listenAddress(config)
        }
        let token = if let environmentToken, !environmentToken.isEmpty { environmentToken } else { try readToken(stateDir: config.resolvedStateDir) }
        let host: String
        if case .ipv4(let ip, let port) = address, ip.hasPrefix("127.") { host = "127.0.0.1:\(port)" } else { host = address.description }
        return ServerTarget(address: address, host: host, token: token)
    }

    /// The config's `listen`; a wildcard address is reached on loopback; port 0 cannot be reached.
    static func listenAddress(_ config: Config) throws(ClientError) -> SocketAddress {
        let listen: SocketAddress
        do { listen = try config.listenAddress } catch { throw .config(error.description) }
        switch listen {
        case .ipv4(_, port: 0), .ipv6(_, port: 0):
            throw .config("the config listens on port 0 (a port picked at start): pass --server http://127.0.0.1:PORT with the port `burrow serve` printed")
        default: return reachable(listen)
        }
    }

    /// The address the server of this state dir said it listens on (so `serve --port N` or port 0
    /// need no --server); a wildcard is reached on loopback.
    static func recordedAddress(_ stateDir: String) -> SocketAddress? {
        guard let bytes = try? FileSystem.readFile(stateDir + "/" + addressFile, limit: 256),
              let line = String(validating: bytes, as: UTF8.self)?.split(whereSeparator: \.isNewline).first,
              let address = try? SocketAddress(parsing: String(line)), address.port != 0 else { return nil }
        return reachable(address)
    }

    static func reachable(_ address: SocketAddress) -> SocketAddress {
        switch address {
        case .ipv4("0.0.0.0", let port): .ipv4("127.0.0.1", port: port)
        case .ipv6("::", let port): .ipv6("::1", port: port)
        default: address
        }
    }

    /// `http://HOST:PORT` (a trailing `/` allowed), or a bare `HOST:PORT`.
    static func parseServer(_ url: String) throws(ClientError) -> SocketAddress {
        var text = Substring(url)
        if text.hasPrefix("https://") { throw .config("--server \(url): Burrow serves plain HTTP on loopback; use http://") }
        if text.hasPrefix("http://") { text = text.dropFirst(7) }
        if text.hasSuffix("/") { text = text.dropLast() }
        do { return try SocketAddress(parsing: String(text)) } catch {
            throw .config("--server \(url) is not http://HOST:PORT (e.g. http://127.0.0.1:7878)")
        }
    }

    static func readToken(stateDir: String) throws(ClientError) -> String {
        let path = stateDir + "/token"
        guard let bytes = try? FileSystem.readFile(path, limit: 4096) else {
            throw .noToken("cannot read the access token \(path): start `burrow serve` with the same config once (it creates it), or set BURROW_TOKEN")
        }
        guard let text = String(validating: bytes, as: UTF8.self)?.split(whereSeparator: \.isNewline).first, !text.isEmpty else {
            throw .noToken("the access token file \(path) is empty: remove it and start `burrow serve` again, or set BURROW_TOKEN")
        }
        return String(Substring(text).trimmingSpaces)
    }
}

/// Why a client command could not do what it was asked; each says what to do about it.
public enum ClientError: Error, CustomStringConvertible, Sendable, Equatable {
    case config(String)
    case noToken(String)
    case notReachable(String)
    case unauthorized(String)
    /// The server answered with an error: its status, message and detail.
    case refused(status: Int, String)
    case protocolError(String)

    public var description: String {
        switch self {
        case .config(let text), .noToken(let text), .notReachable(let text), .unauthorized(let text),
             .protocolError(let text): text
        case .refused(_, let text): text
        }
    }

    /// The exit status the command ends with (README: "Exit status").
    public var exitCode: Int32 {
        switch self {
        case .notReachable: ClientExit.notReachable
        case .unauthorized, .noToken: ClientExit.unauthorized
        case .config, .refused, .protocolError: ClientExit.error
        }
    }
}

/// The exit statuses of the client commands: scripts test them.
public enum ClientExit {
    public static let ok: Int32 = 0
    /// `run --wait`: the burrow ended `failed`.
    public static let failed: Int32 = 1
    public static let usage: Int32 = 2
    /// `run --wait`: the burrow ended `stopped` (by a user, a budget or a limit).
    public static let stopped: Int32 = 3
    /// The server refused the request (unknown repo, unknown burrow, …) or the config is unusable.
    public static let error: Int32 = 4
    /// No `burrow serve` answers at the address.
    public static let notReachable: Int32 = 5
    /// No token, or the server refused it.
    public static let unauthorized: Int32 = 6
}
