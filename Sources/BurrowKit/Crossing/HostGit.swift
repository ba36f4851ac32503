import BurrowSystem
import BurrowPodman

/// Git as Burrow runs it on the host. Two kinds of repository meet here:
/// - `source`: the user's repository or remote, read with the user's own git configuration (their
///   credentials fetch a private remote) — it holds only the user's data;
/// - `hardened`: Burrow's own repositories that hold objects which came out of a burrow. No system or
///   global configuration, no hooks, no fsmonitor, no attributes, filters, external diff or textconv,
///   no pager or editor, no protocol but local files, every object checked on the way in.
/// Nothing the box wrote is ever a work tree, a config, an attribute file or a hook for host git:
/// only objects (in a bundle) cross, and they are data.
enum HostGit {
    static let hardenedOptions: [String] = [
        "core.hooksPath=/dev/null", "core.fsmonitor=false", "core.attributesFile=/dev/null",
        "core.pager=cat", "core.editor=false", "core.askPass=false", "core.sshCommand=false",
        "core.symlinks=false", "core.untrackedCache=false", "diff.external=", "diff.noprefix=false",
        "gc.auto=0", "maintenance.auto=false", "credential.helper=", "protocol.allow=never",
        "protocol.file.allow=always", "fetch.fsckObjects=true", "transfer.fsckObjects=true",
        "receive.fsckObjects=true", "fetch.writeCommitGraph=false", "submodule.recurse=false",
        "fetch.recurseSubmodules=false", "user.name=Burrow", "user.email=burrow@localhost",
    ].flatMap { ["-c", $0] }

    static let hardenedEnvironment: [String: String] = [
        "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_ATTR_NOSYSTEM": "1",
        "GIT_TERMINAL_PROMPT": "0", "GIT_NO_REPLACE_OBJECTS": "1", "GIT_ASKPASS": "false",
        "GIT_PAGER": "cat", "GIT_EDITOR": "false", "GIT_EXTERNAL_DIFF": "", "GIT_SSH_COMMAND": "false",
        "GIT_ALLOW_PROTOCOL": "file", "GIT_PROTOCOL_FROM_USER": "0",
    ]

    /// Runs git in a repository that holds data from a burrow; `input` from byte `inputOffset` on is its
    /// standard input, `environment` added to the hardened one.
    @discardableResult
    static func hardened(_ repository: String, _ arguments: [String], environment: [String: String] = [:],
                         input: String = "/dev/null", inputOffset: Int64 = 0) async throws -> Subprocess.Result {
        try await Subprocess.check(["git", "-C", repository] + hardenedOptions + arguments, environment: hardenedEnvironment.merging(environment) { $1 },
                                   input: input, inputOffset: inputOffset)
    }

    /// Runs git on the user's repository or Burrow's copy of it, with the user's configuration but no
    /// hooks of theirs firing for Burrow's work.
    @discardableResult
    static func source(_ repository: String?, _ arguments: [String]) async throws -> Subprocess.Result {
        let location = repository.map { ["-C", $0] } ?? []
        return try await Subprocess.check(["git"] + location + ["-c", "core.hooksPath=/dev/null", "-c", "gc.auto=0"] + arguments,
                                          environment: ["GIT_TERMINAL_PROMPT": "0"])
    }

    /// Like `source`, with the output read as it comes (`input`: a file for git's standard input).
    static func sourceStreaming(_ repository: String, _ arguments: [String], input: String = "/dev/null",
                                into consume: (AsyncSocket) async throws -> Void) async throws {
        try await Subprocess.streamingOutput(["git", "-C", repository, "-c", "core.hooksPath=/dev/null", "-c", "gc.auto=0"] + arguments,
                                             environment: ["GIT_TERMINAL_PROMPT": "0"], input: input, into: consume)
    }

    /// Like `source`, returning the output's bytes as they are (paths need not be UTF-8).
    static func sourceOutput(_ repository: String, _ arguments: [String], limit: Int = 256 << 20) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        try await sourceStreaming(repository, arguments) { socket in
            while try await socket.read(into: &bytes, maxBytes: 1 << 20) > 0 {
                guard bytes.count <= limit else { throw CrossingError.unexpected("`git \(arguments.joined(separator: " "))` printed over \(limit >> 20) MiB") }
            }
        }
        return bytes
    }

    /// The one object id a git command printed.
    static func objectID(_ result: Subprocess.Result) throws(CrossingError) -> String {
        let id = result.stdout.filter { !$0.isWhitespace }
        guard ObjectID.isValid(id) else { throw .unexpected("git printed '\(id.prefix(80))' where an object id was expected") }
        return id
    }
}

/// A git object id as text: 40 (SHA-1) or 64 (SHA-256) lowercase hex digits.
enum ObjectID {
    static func isValid(_ text: String) -> Bool {
        (text.utf8.count == 40 || text.utf8.count == 64) && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}
