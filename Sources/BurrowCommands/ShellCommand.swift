import FoundationEssentials
import Glibc
import BurrowSystem
import BurrowHTTP
import BurrowKit

/// `burrow shell ID` and `burrow exec ID -- CMD…`: the server takes the connection over and carries
/// `ShellFrame`s; here the local terminal goes raw (keys, Ctrl-C included, are the remote shell's),
/// its size follows SIGWINCH, and the exit status is the command's.
enum ShellClient {
    static func run(_ invocation: ClientInvocation, api: BurrowAPIClient) async throws(ClientError) -> Int32 {
        let tty = invocation.verb == .shell
        struct Open: Encodable { let command: [String]?; let tty: Bool; let term: String? }
        let open = Open(command: tty ? nil : invocation.command, tty: tty, term: FileSystem.environment("TERM"))
        let body = (try? JSONCoding.encoder.encode(open)).map(Array.init) ?? []
        let connection = try await api.upgrade("/api/burrows/\(BurrowAPIClient.pathSegment(invocation.id))/shell", json: body)
        defer { connection.socket.close() }
        let sender = FrameSender(socket: connection.socket)
        let saved = tty && Terminal.isTerminal(0) ? Terminal.makeRaw(0) : nil
        defer { Terminal.restore(saved) }
        var watcher: SignalWatcher?
        if tty, let size = Terminal.size(0) ?? Terminal.size(1) {
            await sender.send(.resize(rows: size.rows, columns: size.columns))
            watcher = SignalWatcher(signals: [SIGWINCH]) { _ in
                guard let size = Terminal.size(0) ?? Terminal.size(1) else { return }
                Task { await sender.send(.resize(rows: size.rows, columns: size.columns)) }
            }
        }
        let input = Task {
            while !Task.isCancelled {
                let piece = await Terminal.readPiece(0)
                guard !piece.isEmpty else { break }
                guard await sender.send(.input(piece)) else { return }
            }
            await sender.send(.inputEnd)
        }
        defer { input.cancel() }
        let outcome = await receive(connection)
        _ = watcher
        switch outcome {
        case .exit(let code): return code
        case .failure(let text):
            Terminal.restore(saved)
            throw .refused(status: 502, TerminalText.oneLine(text, width: 500))
        }
    }

    enum Outcome { case exit(Int32), failure(String) }

    /// Prints the session's output until its exit status (or failure) arrives.
    static func receive(_ connection: UpgradedConnection) async -> Outcome {
        var decoder = ShellFrameDecoder()
        var buffer = connection.leftover
        while true {
            let frames: [ShellFrame]
            do { frames = try decoder.decode(buffer) } catch { return .failure("the server sent a malformed frame: \(error)") }
            buffer.removeAll(keepingCapacity: true)
            for frame in frames {
                switch frame {
                case .stdout(let bytes): Terminal.writeAll(1, bytes)
                case .stderr(let bytes): Terminal.writeAll(2, bytes)
                case .exit(let code): return .exit(code)
                case .failure(let text): return .failure(text)
                default: break
                }
            }
            let count = (try? await connection.socket.read(into: &buffer, maxBytes: ShellFrame.maxPayload)) ?? 0
            if count == 0 { return .failure("the server ended the session before the command's exit status came") }
        }
    }
}

/// One frame at a time onto the connection: keys and resizes come from different tasks, and a frame
/// written in pieces must not be cut into by another.
actor FrameSender {
    let socket: AsyncSocket
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(socket: AsyncSocket) { self.socket = socket }

    /// False once the connection refuses writes.
    @discardableResult
    func send(_ frame: ShellFrame) async -> Bool {
        while busy { await withCheckedContinuation { waiting.append($0) } }
        busy = true
        defer {
            busy = false
            if !waiting.isEmpty { waiting.removeFirst().resume() }
        }
        do {
            try await socket.write(frame.encoded)
            return true
        } catch {
            return false
        }
    }
}

extension BurrowAPIClient {
    /// A request the server answers by taking the connection over (`burrow-shell`); a refusal
    /// becomes the `ClientError` every other command gives.
    func upgrade(_ path: String, json: [UInt8]) async throws(ClientError) -> UpgradedConnection {
        do {
            return try await http.upgrade(request(.post, path, json: json), protocolName: ShellFrame.protocolName)
        } catch let refused as UpgradeRefused {
            try check(status: refused.status, body: refused.body)
            throw .protocolError("the server answered \(refused.status) instead of taking the connection over")
        } catch {
            throw describe(error)
        }
    }
}
