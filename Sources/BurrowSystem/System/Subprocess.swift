import Dispatch
import Glibc

/// Runs host programs Burrow needs (git, tar) — never Podman, which is reached only through its API.
/// Output goes to temporary files and the wait happens on a Dispatch thread, so no Swift concurrency
/// thread ever blocks.
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

    /// Runs `arguments[0]` (searched on PATH) and returns its exit status and output.
    public static func run(_ arguments: [String], environment extra: [String: String] = [:]) async throws -> Result {
        let directory = "/tmp/burrow-run-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileSystem.createDirectories(directory, mode: 0o700)
        defer {
            FileSystem.remove(directory + "/out")
            FileSystem.remove(directory + "/err")
            rmdir(directory)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, directory + "/out", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, directory + "/err", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var environment = currentEnvironment()
        for (key, value) in extra { environment[key] = value }
        let environmentStrings = environment.map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let spawned = withCStrings(arguments) { argv in
            withCStrings(environmentStrings) { envp in
                posix_spawnp(&pid, arguments[0], &actions, nil, argv, envp)
            }
        }
        guard spawned == 0 else { throw SystemError(call: "posix_spawnp \(arguments[0])", code: spawned) }
        let child = pid
        let status = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var status: Int32 = 0
                while waitpid(child, &status, 0) < 0 && errno == EINTR {}
                continuation.resume(returning: status)
            }
        }
        let exitCode: Int32 = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        let out = (try? FileSystem.readFile(directory + "/out")) ?? []
        let err = (try? FileSystem.readFile(directory + "/err")) ?? []
        return Result(status: exitCode, stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self))
    }

    /// Runs and throws `Failure` unless the program exits 0.
    @discardableResult
    public static func check(_ arguments: [String], environment: [String: String] = [:]) async throws -> Result {
        let result = try await run(arguments, environment: environment)
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

    static func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
        let pointers = strings.map { strdup($0) } + [nil]
        defer { for pointer in pointers { free(pointer) } }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}
