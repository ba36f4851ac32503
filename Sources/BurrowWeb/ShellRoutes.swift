import BurrowSystem
import BurrowHTTP
import BurrowKit

/// `POST /api/burrows/{id}/shell` with `Upgrade: burrow-shell`: a person's shell (`tty`) or one
/// command in the burrow. Refusals are ordinary answers; once it is possible, `101` and the
/// connection carries `ShellFrame`s both ways (see `BurrowManager.runShell`).
extension Router {
    struct ShellRequest: Decodable {
        /// The command; nil: the image's bash, else sh.
        let command: [String]?
        let tty: Bool?
        /// The client's `TERM`, for a terminal.
        let term: String?
    }

    static let defaultShell = ["/bin/sh", "-c", "if command -v bash >/dev/null 2>&1; then exec bash; else exec sh; fi"]

    mutating func addShell(_ manager: BurrowManager) {
        post("/api/burrows/{id}/shell", maxBodyBytes: 256 << 10) { request in
            guard request.headers.hasToken(ShellFrame.protocolName, in: "Upgrade") else {
                throw HTTPError(HTTPStatus(426, "Upgrade Required"), "this route takes the connection over",
                                detail: "send Connection: Upgrade and Upgrade: \(ShellFrame.protocolName) (the `burrow shell` and `burrow exec` commands do)")
            }
            let asked = try request.decodeJSON(ShellRequest.self)
            let tty = asked.tty ?? (asked.command == nil)
            let command = asked.command ?? Self.defaultShell
            guard !command.isEmpty, command.allSatisfy({ !$0.utf8.contains(0) }) else {
                throw HTTPError(.badRequest, "the command is empty or holds a NUL byte")
            }
            var environment: [String] = []
            if tty, let term = asked.term, !term.isEmpty, term.utf8.count <= 64,
               term.utf8.allSatisfy({ $0 == 0x2D || $0 == 0x2E || $0 == 0x2B || $0 == 0x5F || (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }) {
                environment = ["TERM=\(term)"]
            }
            let target = try await manager.shellTarget(request.parameter("id") ?? "")
            let run = command, env = environment
            return .upgrade(HTTPUpgrade(protocolName: ShellFrame.protocolName) { connection in
                await manager.runShell(target, command: run, environment: env, tty: tty, client: connection)
            })
        }
    }
}
