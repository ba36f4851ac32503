import Glibc

/// A long-running helper tied to Burrow by one socket, which is the helper's standard input: Burrow
/// says what it must know through it (a secret never goes in arguments or the environment, where
/// `ps` and /proc show it), and when Burrow closes it or dies, the helper reads end-of-file and
/// exits, so no helper outlives the process that owns it.
public final class CompanionProcess: Sendable {
    public let control: AsyncSocket
    private let child: ChildProcess
    private let ended = Locked(false)
    private let reaped: Task<Int32, Never>

    public var pid: Int32 { child.pid }
    /// False once the helper has exited (crashed, killed, or stopped).
    public var isRunning: Bool { !ended.withLock { $0 } }

    /// Starts `arguments[0]` with its stdin (and nothing else) on a socket whose other end is
    /// `control`; its stdout and stderr go to `log`. `answersOnStdout`: its stdout goes to `control`
    /// too (`ssh`, whose remote command can answer on its standard output only).
    public init(_ arguments: [String], environment extra: [String: String] = [:], log: String, answersOnStdout: Bool = false) throws {
        precondition(!arguments.isEmpty, "CompanionProcess needs a program")
        var environment = Subprocess.currentEnvironment()
        for (key, value) in extra { environment[key] = value }
        let (ours, theirs) = try Socket.pair()
        defer { Glibc.close(theirs) }
        let socket = try AsyncSocket(ours)
        do {
            child = try ChildProcess.spawn(arguments, environment: environment.map { "\($0.key)=\($0.value)" },
                                           stdout: answersOnStdout ? .descriptor(theirs) : .file(log), stderr: log, grace: Subprocess.defaultGrace,
                                           stdin: .descriptor(theirs))
        } catch {
            socket.close()
            throw error
        }
        control = socket
        reaped = Task.detached { [child, ended] in
            let status = await child.waitForExit()
            ended.withLock { $0 = true }
            return status
        }
    }

    /// Reads one line from the helper (bounded, with a deadline): its answer to what it was told.
    public func readLine(limit: Int = 4096, timeout: Duration) async throws -> String {
        var buffer: [UInt8] = []
        let deadline = Task { [control] in
            try await Task.sleep(for: timeout)
            control.shutdown()
        }
        defer { deadline.cancel() }
        while !buffer.contains(UInt8(ascii: "\n")) {
            guard buffer.count < limit, try await control.read(into: &buffer, maxBytes: limit - buffer.count) > 0 else { break }
        }
        guard let end = buffer.firstIndex(of: UInt8(ascii: "\n")) else {
            throw SystemError(call: "reading from \(child.pid)", code: isRunning ? ETIMEDOUT : EPIPE)
        }
        return String(decoding: buffer[..<end], as: UTF8.self)
    }

    /// Closes the helper's standard input (it exits on its own), then ends it if it has not within
    /// the grace period, and waits until it is reaped.
    public func stop() async -> Int32 {
        control.close()
        let watchdog = Task { [child] in
            try await Task.sleep(for: Subprocess.defaultGrace)
            child.terminate(timedOut: false)
        }
        let status = await reaped.value
        watchdog.cancel()
        return status
    }
}
