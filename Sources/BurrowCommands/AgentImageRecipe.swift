import BurrowSystem
import BurrowHTTP
import BurrowPodman
import BurrowKit
import BurrowWeb
/// The registry-free agent image: `images/agent-debian/build-rootfs.sh` makes a Debian rootfs tarball
/// (mmdebstrap, Claude Code's native binary from the `claude-agent-sdk` wheel) and Burrow imports it
/// through Podman's API, so it lands in the Podman Burrow uses even when that runs as another user.
/// The recipe's hash is the image's label: an unchanged recipe is not rebuilt.
public struct AgentImageRecipe: Sendable {
    public static let hashLabel = "io.burrow.recipe-hash"
    public let script: String

    public init(script: String) { self.script = script }

    /// The recipe beside the working directory (a checkout) or beside the binary (`.build/<mode>/burrow`).
    public static func locate() -> AgentImageRecipe? {
        let relative = "images/agent-debian/build-rootfs.sh"
        var candidates = [FileSystem.currentDirectory + "/" + relative]
        if let binary = FileSystem.executablePath {
            var folder = binary
            for _ in 0..<4 {
                folder = String(folder[..<(folder.lastIndex(of: "/") ?? folder.startIndex)])
                candidates.append(folder + "/" + relative)
            }
        }
        return candidates.first(where: FileSystem.exists).map(AgentImageRecipe.init(script:))
    }

    public func hash() async throws -> String {
        try await Subprocess.check(["bash", script, "--hash"]).stdout.filter { !$0.isWhitespace }
    }

    /// The image's settings: the recipe's rootfs has a user `agent` owning /workspace.
    static func changes(hash: String) -> [String] {
        ["LABEL \(hashLabel)=\(hash)", "USER agent", "WORKDIR /workspace", "ENV HOME=/home/agent",
         "ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/bin:/usr/sbin:/bin:/sbin",
         "ENV DISABLE_AUTOUPDATER=1", "ENV CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1", "CMD [\"/bin/bash\"]"]
    }

    public enum Outcome: Sendable, Equatable { case upToDate(hash: String), built(hash: String) }

    /// Builds and imports `reference` unless it already carries this recipe's hash.
    public func build(into podman: PodmanClient, reference: String, force: Bool = false,
                      progress: @escaping @Sendable (String) -> Void = { _ in }) async throws -> Outcome {
        let hash = try await hash()
        if !force, try await podman.imageExists(reference),
           try await podman.inspectImage(reference).config?.labels?[Self.hashLabel] == hash {
            return .upToDate(hash: hash)
        }
        let folder = (FileSystem.environment("TMPDIR") ?? "/var/tmp") + "/burrow-image-\(UInt32.random(in: 0...UInt32.max))"
        try FileSystem.createDirectories(folder, mode: 0o700)
        defer {
            FileSystem.remove(folder + "/rootfs.tar")
            FileSystem.removeDirectory(folder)
        }
        progress("building the rootfs with \(script) (recipe \(hash)): Debian packages and Claude Code, about 2 minutes the first time")
        var started = Monotonic.now()
        try await ImageBuildProgress.run(["bash", script, folder + "/rootfs.tar"], step: "building the rootfs", progress: progress)
        let size = FileSystem.status(folder + "/rootfs.tar")?.size ?? 0
        progress("built the rootfs in \(Int(Double(Monotonic.now() - started) / 1e9)) s (\(size >> 20) MiB); importing it as \(reference) through \(podman.socketPath)")
        started = Monotonic.now()
        try await podman.importImage(tarPath: folder + "/rootfs.tar", reference: reference, changes: Self.changes(hash: hash))
        progress("imported in \(Int(Double(Monotonic.now() - started) / 1e9)) s")
        guard try await podman.inspectImage(reference).config?.labels?[Self.hashLabel] == hash else {
            throw PodmanError.malformedResponse(operation: "image import", reason: "\(reference) does not carry the recipe label after the import")
        }
        return .built(hash: hash)
    }
}
