import FoundationEssentials
import BurrowSystem
import BurrowPodman

/// What the agent changed so far, counted where its files are: a short helper container on the
/// workspace, read-only, closed in like the harvest helper. Only a bounded file of counts and names
/// comes back, and it is parsed as hostile data.
extension Crossing {
    /// The most the changes helper's file may weigh (the records are cut inside the box a little below).
    static let maxChangesBytes: Int64 = 256 << 10

    func liveChanges(_ burrow: Burrow, base: String, timeout: Duration = .seconds(60)) async throws -> WorkspaceChanges {
        guard ObjectID.isValid(base) else { throw CrossingError.unexpected("the base \(base.prefix(80)) is not a commit id") }
        let directory = try FileSystem.makeTemporaryDirectory("burrow-changes")
        defer { FileSystem.removeTree(directory) }
        let path = directory + "/changes"
        var helper = HelperContainer(podman: podman, image: try await HelperImage.ensure(podman), name: "burrow-\(burrow.id)-changes",
                                     labels: burrow.labels, user: burrow.user,
                                     volumes: [.init(name: burrow.workspaceVolume, destination: "/workspace", options: ["ro"])],
                                     step: "counting the agent's changes")
        helper.timeout = timeout
        let limit = Self.maxChangesBytes
        let arguments = ["/bin/sh", "/usr/local/bin/burrow-changes", base, String(limit - 4096)]
        let (_, saved) = try await helper.run(arguments) { podman, name, _ in
            do {
                return try await ArchivedFile.save(try await podman.getArchive(name, path: "/out/changes"), to: path, limit: limit)
            } catch let error as PodmanError where error.isNotFound {
                return Int64(-1)
            }
        }
        guard saved >= 0 else { return WorkspaceChanges(error: "the changes helper wrote nothing") }
        var changes = WorkspaceChanges.parseHelperOutput(try FileSystem.readFile(path))
        changes.at = Date().timeIntervalSince1970
        return changes
    }

    /// A finished turn's changes from Burrow's own result repository (hardened git: its objects came
    /// from a burrow), against the base.
    static func resultChanges(resultRepo: String, base: String, head: String) async throws -> WorkspaceChanges {
        let output = try await HostGit.hardened(resultRepo, ["diff", "--numstat", "-z", "--no-renames", "--no-ext-diff", "--no-textconv", base, head])
        var changes = WorkspaceChanges.parseNumstat(Array(output.stdout.utf8))
        changes.live = false
        changes.at = Date().timeIntervalSince1970
        return changes
    }

    /// One turn's own patch (from the previous turn's result to this one's), for follow-ups.
    static func writeTurnPatch(resultRepo: String, from: String, to head: String, path: String) async throws {
        let partial = path + ".partial"
        try await HostGit.hardened(resultRepo, ["diff", "--binary", "--no-ext-diff", "--no-textconv", "--no-color", "--output=\(partial)", from, head])
        FileSystem.move(partial, to: path)
    }
}

extension WorkspaceChanges {
    init(error: String) {
        self.init()
        self.error = error
    }
}
