import FoundationEssentials
import BurrowSystem
import BurrowHTTP

/// What to run in a container with `exec`: the container's own user, environment, working
/// directory, capabilities and limits (Podman copies its process settings), with or without a terminal.
public struct ExecSpec: Encodable, Sendable {
    public var Cmd: [String]
    public var Tty: Bool
    public var AttachStdin = true
    public var AttachStdout = true
    public var AttachStderr = true
    /// Added to the container's environment (`NAME=value`).
    public var Env: [String]

    public init(command: [String], tty: Bool, environment: [String] = []) {
        Cmd = command
        Tty = tty
        Env = environment
    }
}

/// A finished or running exec session, as Podman reports it.
public struct ExecState: Decodable, Sendable {
    public let Running: Bool
    public let ExitCode: Int32?
    /// The session's process as the Podman service's host sees it (0 or absent once it ended).
    public let Pid: Int32?
}

extension PodmanClient {
    /// Creates an exec session in a running container; returns its id.
    public func createExec(_ container: String, _ spec: ExecSpec) async throws -> String {
        struct Created: Decodable { let Id: String }
        let body = try JSONCoding.encoder.encode(spec)
        let response = try await call("POST", "/containers/\(escape(container))/exec", operation: "exec create",
                                      body: .bytes(Array(body), contentType: "application/json"), expect: [201])
        return try await decode(Created.self, response, "exec create").Id
    }

    /// Starts an exec session attached: the returned connection carries its stdin one way and its
    /// output the other (raw with a terminal; Podman's 8-byte frames without one). The caller owns
    /// the socket and closes it.
    public func startExec(_ id: String, tty: Bool) async throws -> UpgradedConnection {
        let body = Array(#"{"Detach":false,"Tty":\#(tty)}"#.utf8)
        let request = ClientRequest("POST", prefix.withLock { $0 } + "/exec/\(escape(id))/start", body: .bytes(body, contentType: "application/json"))
        do {
            return try await withDeadline(Self.defaultTimeout, operation: "Podman exec start") {
                try await self.http.upgrade(request, protocolName: "tcp")
            }
        } catch let refused as UpgradeRefused {
            let decoded = try? JSONDecoder().decode(PodmanErrorBody.self, from: Data(refused.body))
            let message = decoded?.message ?? String(decoding: refused.body.prefix(500), as: UTF8.self)
            if refused.status == 404 { throw PodmanError.notFound(operation: "exec start", message: message) }
            throw PodmanError.api(operation: "exec start", status: refused.status, cause: decoded?.cause ?? "", message: message)
        } catch let error as HTTPClientError {
            throw PodmanError(error, operation: "exec start", socket: socketPath)
        }
    }

    /// Tells the exec session's terminal its new size.
    public func resizeExec(_ id: String, rows: UInt16, columns: UInt16) async throws {
        _ = try await call("POST", "/exec/\(escape(id))/resize?h=\(rows)&w=\(columns)", operation: "exec resize", expect: [200, 201, 204])
    }

    /// Runs `command` in the container without waiting for it or its output.
    public func startDetachedExec(_ container: String, command: [String]) async throws {
        var spec = ExecSpec(command: command, tty: false)
        spec.AttachStdin = false
        spec.AttachStdout = false
        spec.AttachStderr = false
        let id = try await createExec(container, spec)
        _ = try await call("POST", "/exec/\(escape(id))/start", operation: "exec start",
                           body: .bytes(Array(#"{"Detach":true}"#.utf8), contentType: "application/json"), expect: [200, 204])
    }

    public func inspectExec(_ id: String) async throws -> ExecState {
        try await decode(ExecState.self, try await call("GET", "/exec/\(escape(id))/json", operation: "exec inspect", expect: [200]), "exec inspect")
    }

    /// An ended session's exit status. Podman records it as the session's streams close, or a moment
    /// later (often 20–90 ms when the machine is busy): asked again soon, then less often, bounded (nil
    /// when Podman did not say within about two seconds).
    public func execExitCode(_ id: String) async -> Int32? {
        for pause in [10, 20, 40, 80, 160, 320, 640, 800, 0] {
            if let state = try? await inspectExec(id), !state.Running { return state.ExitCode }
            if pause > 0 { try? await Task.sleep(for: .milliseconds(pause)) }
        }
        return nil
    }
}
