import Dispatch
import Glibc

/// Runs host programs Burrow needs (git, tar) — never Podman, which is reached only through its API.
/// Output goes to temporary files and the wait happens on a Dispatch thread, so no Swift concurrency
/// thread ever blocks. The child starts with default signal dispositions and an empty signal mask
/// (Burrow ignores SIGPIPE, SIGINT and SIGTERM; a child must not inherit that), in a process group
/// of its own so that cancelling the awaiting task or the timeout ends it and whatever it started:
/// SIGTERM, then SIGKILL after `grace`. The child is always reaped before `run` returns or throws.
public enum Subprocess {
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
        public var succeeded: Bool { status == 0 }
    }

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let command: [String]
        public let result: Result
        public var description: String {
            let detail = result.stderr.isEmpty ? result.stdout : result.stderr
            return "`\(command.joined(separator: " "))` failed (exit \(result.status)): \(detail.split(separator: "\n").prefix(5).joined(separator: " / "))"
        }
    }

    /// The program ran longer than its timeout and was ended.
    public struct TimedOut: Error, CustomStringConvertible, Sendable {
        public let command: [String]
        public let timeout: Duration
        public var description: String { "`\(command.joined(separator: " "))` did not finish within \(timeout) and was stopped" }
    }

    public static let defaultGrace = Duration.seconds(2)
    /// Output kept per stream; a program that writes more is cut to this (its exit status stays).
    static let outputLimit = 64 << 20

    /// Runs `arguments[0]` (searched on PATH) and returns its exit status and output. Throws
    /// `CancellationError` when the task is cancelled and `TimedOut` after `timeout`, once the child
    /// has been ended and reaped. `input`: a file for its standard input (none unless named), read
    /// from byte `inputOffset` on.
    public static func run(_ arguments: [String], environment extra: [String: String] = [:],
                           timeout: Duration? = nil, grace: Duration = defaultGrace, input: String = "/dev/null",
                           inputOffset: Int64 = 0) async throws -> Result {
        precondition(!arguments.isEmpty, "Subprocess.run needs a program")
        let directory = try FileSystem.makeTemporaryDirectory("burrow-run")
        defer {
            FileSystem.remove(directory + "/out")
            FileSystem.remove(directory + "/err")
            rmdir(directory)
        }
        var environment = currentEnvironment()
        for (key, value) in extra { environment[key] = value }
        var stdin = ChildProcess.Input.file(input)
        var seeked: Int32 = -1
        defer { if seeked >= 0 { close(seeked) } }
        if inputOffset > 0 {
            seeked = Int32(try systemCallChecked("open \(input)") { Int(open(input, O_RDONLY | O_CLOEXEC)) })
            _ = try systemCallChecked("lseek \(input)") { Int(lseek(seeked, off_t(inputOffset), SEEK_SET)) }
            stdin = .descriptor(seeked)
        }
        let child = try ChildProcess.spawn(arguments, environment: environment.map { "\($0.key)=\($0.value)" },
                                           stdout: .file(directory + "/out"), stderr: directory + "/err", grace: grace, stdin: stdin)
        let timer = timeout.map { timeout in
            let item = DispatchWorkItem { child.terminate(timedOut: true) }
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(timeout.nanoseconds)), execute: item)
            return item
        }
        let status = await withTaskCancellationHandler {
            await child.waitForExit()
        } onCancel: {
            child.terminate(timedOut: false)
        }
        timer?.cancel()
        if child.wasTimedOut, let timeout { throw TimedOut(command: arguments, timeout: timeout) }
        try Task.checkCancellation()
        let out = (try? FileSystem.readFile(directory + "/out", limit: outputLimit)) ?? []
        let err = (try? FileSystem.readFile(directory + "/err", limit: outputLimit)) ?? []
        return Result(status: status, stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self))
    }

    /// Runs `arguments[0]` with its standard output on a socket that `consume` reads as it comes (a
    /// tar streamed into an upload, never stored); throws `Failure` unless the program exits 0. The
    /// child is ended and reaped also when `consume` throws or the task is cancelled. `input`: a file
    /// for its standard input (none unless named).
    public static func streamingOutput(_ arguments: [String], environment extra: [String: String] = [:], input: String = "/dev/null",
                                       into consume: (AsyncSocket) async throws -> Void) async throws {
        precondition(!arguments.isEmpty, "Subprocess.streamingOutput needs a program")
        let directory = try FileSystem.makeTemporaryDirectory("burrow-run")
        defer {
            FileSystem.remove(directory + "/err")
            rmdir(directory)
        }
        var environment = currentEnvironment()
        for (key, value) in extra { environment[key] = value }
        let (ours, theirs) = try Socket.pair()
        let reader = try AsyncSocket(ours)
        defer { reader.close() }
        let child: ChildProcess
        do {
            child = try ChildProcess.spawn(arguments, environment: environment.map { "\($0.key)=\($0.value)" },
                                           stdout: .descriptor(theirs), stderr: directory + "/err", grace: defaultGrace,
                                           stdin: .file(input))
            Glibc.close(theirs)
        } catch {
            Glibc.close(theirs)
            throw error
        }
        do {
            try await withTaskCancellationHandler { try await consume(reader) } onCancel: { child.terminate(timedOut: false) }
        } catch {
            child.terminate(timedOut: false)
            _ = await child.waitForExit()
            throw error
        }
        let status = await child.waitForExit()
        guard status == 0 else {
            let err = (try? FileSystem.readFile(directory + "/err", limit: 1 << 20)) ?? []
            throw Failure(command: arguments, result: Result(status: status, stdout: "", stderr: String(decoding: err, as: UTF8.self)))
        }
    }

    /// Runs and throws `Failure` unless the program exits 0.
    @discardableResult
    public static func check(_ arguments: [String], environment: [String: String] = [:], timeout: Duration? = nil,
                             input: String = "/dev/null", inputOffset: Int64 = 0) async throws -> Result {
        let result = try await run(arguments, environment: environment, timeout: timeout, input: input, inputOffset: inputOffset)
        guard result.succeeded else { throw Failure(command: arguments, result: result) }
        return result
    }

    static func currentEnvironment() -> [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(validatingCString: entry) ?? ""
            if let equals = text.firstIndex(of: "=") { result[String(text[..<equals])] = String(text[text.index(after: equals)...]) }
            pointer += 1
        }
        return result
    }
}

extension Duration {
    package var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
