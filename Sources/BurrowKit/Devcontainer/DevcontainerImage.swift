import BurrowSystem
import BurrowPodman

/// The image a devcontainer's `build` makes: tagged by a fingerprint of what goes into it (the
/// context folder's and Dockerfile's git object ids, args, target), so an unchanged context is reused
/// and never rebuilt, and the tar is made only when a build is needed.
struct DevcontainerImage {
    /// Names an image of this repo's devcontainers (older ones are removed when a new one is built).
    static let repoLabel = "io.burrow.devcontainer"
    static let extraDockerfileName = ".burrow-devcontainer.Dockerfile"
    static let maxDockerfileBytes = 1 << 20

    let source: DevcontainerSource
    let file: String
    let build: DevcontainerConfig.Build
    let repoKey: String
    /// Stamped on the image besides the repo label (e.g. Burrow's instance labels, for orphan listing).
    var labels: [String: String] = [:]

    struct Prepared {
        let tag: String
        let dockerfileInContext: String?
        let dockerfileObject: String
        let context: String
    }

    /// Resolves the paths and computes the tag, reading only git's tree listings.
    func prepare() async throws(DevcontainerError) -> Prepared {
        let folder = RepoPath.directory(of: file)
        guard let dockerfile = RepoPath.resolve(build.dockerfile, in: folder), !dockerfile.isEmpty else {
            throw .outsideRepository(file: file, key: "build.dockerfile", path: build.dockerfile)
        }
        guard let context = RepoPath.resolve(build.context, in: folder) else {
            throw .outsideRepository(file: file, key: "build.context", path: build.context)
        }
        guard let entry = try await source.entry(dockerfile), entry.type == "blob", entry.mode != "120000" else {
            throw .missing(path: dockerfile, commit: source.commit)
        }
        if entry.size > Int64(Self.maxDockerfileBytes) { throw .tooLarge(file: dockerfile, bytes: Int(entry.size), limit: Self.maxDockerfileBytes) }
        guard let contextTree = try await source.treeID(context) else { throw .missing(path: context.isEmpty ? "." : context + "/", commit: source.commit) }
        let inContext: String? = context.isEmpty ? dockerfile : dockerfile.hasPrefix(context + "/") ? String(dockerfile.dropFirst(context.count + 1)) : nil
        var hash = FNV1a()
        for part in ["devcontainer-v1", contextTree, entry.object, inContext ?? Self.extraDockerfileName, build.target ?? ""] { hash.add(part) }
        for (name, value) in build.args.sorted(by: { $0.key < $1.key }) { hash.add(name); hash.add(value) }
        return Prepared(tag: "localhost/burrow-devcontainer-\(repoKey):\(hash.hex)", dockerfileInContext: inContext,
                        dockerfileObject: entry.object, context: context)
    }

    /// Builds `prepared.tag` from the context at the commit, in `scratch` (a private folder the
    /// caller removes). Returns the image id.
    func build(_ prepared: Prepared, podman: PodmanClient, pull: ImageBuildOptions.PullPolicy, scratch: String,
               log: @Sendable (String) -> Void) async throws -> String {
        let size = try await source.contentSize(prepared.context)
        let limit = DevcontainerSource.maxContextBytes
        if size > limit { throw DevcontainerError.contextTooLarge(path: prepared.context.isEmpty ? "." : prepared.context, bytes: size, limit: limit) }
        var extra: String?
        if prepared.dockerfileInContext == nil {
            // The spec lets the Dockerfile live outside the context; Podman wants it inside the tar.
            let path = scratch + "/" + Self.extraDockerfileName
            let text = try await source.blob(prepared.dockerfileObject, limit: Self.maxDockerfileBytes)
            try FileSystem.writeAtomically(Array(text.utf8), to: path, mode: 0o600)
            extra = path
        }
        let tar = scratch + "/context.tar"
        try await source.archive(prepared.context, to: tar, extraFile: extra)
        var options = ImageBuildOptions(dockerfile: prepared.dockerfileInContext ?? Self.extraDockerfileName, tags: [prepared.tag])
        options.labels = labels.merging([Self.repoLabel: repoKey]) { $1 }
        options.buildArgs = build.args
        options.target = build.target
        options.pull = pull
        do {
            return try await podman.buildImage(context: .file(tar), options, log: log)
        } catch let error as PodmanError {
            if case .api(_, _, _, let message) = error { throw DevcontainerError.buildFailed(image: prepared.tag, reason: message) }
            throw error
        }
    }

    /// How many of a repo's devcontainer images are kept (a user switching between branches with
    /// different devcontainers does not rebuild each time).
    static let keptPerRepo = 3

    /// Removes this repo's devcontainer images but the newest few and `tag`; one still used by a
    /// container stays (Podman refuses without force) and goes after a later build.
    static func removeOlder(than tag: String, repoKey: String, podman: PodmanClient, keep: Int = keptPerRepo) async {
        guard let images = try? await podman.listImages(label: "\(repoLabel)=\(repoKey)") else { return }
        let newestFirst = images.sorted { ($0.created ?? 0) > ($1.created ?? 0) }
        for image in newestFirst.dropFirst(keep) where !(image.names ?? []).contains(tag) {
            try? await podman.removeImage(image.id, force: false)
        }
    }
}
