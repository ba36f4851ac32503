import BurrowSystem
import BurrowPodman

/// What a repo's devcontainer.json asks of a burrow, ready to apply: the image to start from, extra
/// environment, the user, and the setup commands to run in the sandbox before the agent.
public struct DevcontainerPlan: Sendable, Equatable, Codable {
    /// The devcontainer.json read, relative to the repo root.
    public var file: String
    /// `image` as written, or the built `localhost/burrow-devcontainer-<repo-key>:<fingerprint>`.
    public var image: String
    /// True when this call built the image; false when it came from `image` or an earlier build.
    public var built: Bool
    /// `containerEnv`, less the names Burrow sets itself (those are in `unsupported`).
    public var env: [String: String]
    /// `remoteUser`, else `containerUser`, else nil (keep Burrow's `agentUser`).
    public var user: String?
    /// Argument lists, in order: onCreate, updateContent, postCreate (a string command is
    /// `["/bin/sh", "-c", text]`; named commands in file order).
    public var setupCommands: [[String]]
    /// What the file sets that Burrow does not apply, for the record.
    public var unsupported: [String]
    /// What was said while finding or building the image (also passed to `log` as it came).
    public var buildLog: [String]
}

enum Devcontainer {
    /// Lines of build output kept on the plan (the callback sees them all).
    static let maxLogLines = 2000
    static let maxLineBytes = 8192

    /// The devcontainer plan for `repo` at `commit` (a commit pinned in Burrow's store of the repo),
    /// building its image when it has a `build` and no image was built from the same inputs before.
    /// nil when the repo's config does not ask for a devcontainer, or asks for the standard places
    /// and the commit has none. Throws `DevcontainerError` (bad file, failed build) or `PodmanError`.
    static func plan(repo: RepoConfig, store: RepoStore, commit: String, podman: PodmanClient,
                     pull: ImageBuildOptions.PullPolicy = .missing, workspaceFolder: String = "/workspace", labels: [String: String] = [:],
                     log: @escaping @Sendable (String) -> Void = { _ in }) async throws -> DevcontainerPlan? {
        guard let setting = repo.devcontainer, setting != .off else { return nil }
        let source = try DevcontainerSource(store: store.gitDirectory(repo), commit: commit)
        guard let (file, bytes) = try await source.readConfig(setting.candidates) else {
            if case .path(let path) = setting { throw DevcontainerError.missing(path: path, commit: commit) }
            return nil
        }
        let config = try DevcontainerConfig.parse(bytes, file: file, workspaceFolder: workspaceFolder)
        let lines = Locked<[String]>([])
        let say: @Sendable (String) -> Void = { whole in
            let line = whole.utf8.count > maxLineBytes ? String(decoding: whole.utf8.prefix(maxLineBytes), as: UTF8.self) + "…" : whole
            lines.withLock { if $0.count < maxLogLines { $0.append(line) } }
            log(line)
        }
        var plan = DevcontainerPlan(file: file, image: config.image ?? "", built: false, env: config.containerEnv, user: config.user,
                                    setupCommands: config.setupCommands, unsupported: config.unsupported, buildLog: [])
        if !config.unsupported.isEmpty { say("devcontainer: \(file) sets what Burrow does not apply: \(config.unsupported.joined(separator: ", "))") }
        if let build = config.build {
            if config.image != nil { plan.unsupported.append("image (build is used)") }
            let image = DevcontainerImage(source: source, file: file, build: build, repoKey: RepoStore.key(repo), labels: labels)
            let prepared = try await image.prepare()
            plan.image = prepared.tag
            if try await podman.imageExists(prepared.tag) {
                say("devcontainer: using \(prepared.tag), built earlier from the same Dockerfile and context")
            } else {
                say("devcontainer: building \(prepared.tag) from \(file)")
                let started = Monotonic.now()
                let scratch = store.directory + "/devcontainer-build-" + BurrowRecord.newID()
                let (_, joined) = try await DevcontainerBuilds.shared.run(prepared.tag) {
                    try FileSystem.createDirectories(scratch, mode: 0o700)
                    defer { FileSystem.removeTree(scratch) }
                    return try await image.build(prepared, podman: podman, pull: pull, scratch: scratch, log: say)
                }
                plan.built = !joined
                let elapsed = (Monotonic.now() - started) / 1_000_000
                say(joined ? "devcontainer: \(prepared.tag) was built by another launch meanwhile (waited \(elapsed) ms)"
                           : "devcontainer: built \(prepared.tag) in \(elapsed) ms")
                if !joined { await DevcontainerImage.removeOlder(than: prepared.tag, repoKey: RepoStore.key(repo), podman: podman) }
            }
        } else {
            say("devcontainer: image \(plan.image) from \(file)")
        }
        plan.buildLog = lines.withLock { $0 }
        return plan
    }
}
