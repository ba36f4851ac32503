import FoundationEssentials
import BurrowSystem
import BurrowPodman

/// A repo's workspace as an image: the work tree and .git at some base commit, owned by the agent's
/// uid. Each burrow's workspace is a copy-on-write volume over it (Podman's `image` volume driver),
/// so a launch costs the same for one file or thirty thousand. Made on the host from Burrow's store
/// (the user's data only) as a tar streamed into Podman's image import (`TemplateArchive`: no
/// checkout on the host); one per repo and agent uid, rebuilt when the repo has moved far from it.
actor WorkspaceTemplates {
    let store: RepoStore
    let podman: PodmanClient
    let labels: [String: String]
    private var building: [String: Task<Template, any Error>] = [:]
    /// Woken each time a build ends.
    let buildsEnded = Wakeup()
    /// Why the last build of a slot failed (until the next one succeeds).
    private var failures: [String: String] = [:]

    init(store: RepoStore, podman: PodmanClient, labels: [String: String]) {
        self.store = store
        self.podman = podman
        self.labels = labels
    }

    struct Template: Codable, Sendable {
        let image: String
        let base: String
        let branch: String
        /// The burrow id range whose agent owns it (nil: Podman's default mapping, or an older record).
        var range: Int?
    }

    nonisolated func slot(_ repo: RepoConfig, _ user: AgentIdentity) -> String { "\(RepoStore.key(repo))-\(user.uid)-\(user.gid)" }
    private nonisolated func recordPath(_ slot: String) -> String { store.directory + "/" + slot + ".template.json" }

    /// The slots' records in `directory`: slot name and template (unreadable ones left out).
    private nonisolated static func records(in directory: String) -> [(slot: Substring, template: Template)] {
        FileSystem.listDirectory(directory).filter { $0.hasSuffix(".template.json") }.compactMap { name in
            guard let bytes = try? FileSystem.readFile(directory + "/" + name),
                  let template = try? JSONCoding.decoder.decode(Template.self, from: Data(bytes)) else { return nil }
            return (name.dropLast(".template.json".count), template)
        }
    }

    /// The images the slots' records name: the templates new burrows start from.
    nonisolated static func currentImages(stateDir: String) -> Set<String> {
        Set(records(in: stateDir + "/repos").map(\.template.image))
    }

    /// Which burrow id ranges hold a template: those of `repo`, and those of other repos only.
    nonisolated func preparedRanges(_ repo: RepoConfig) -> (mine: Set<Int>, others: Set<Int>) {
        let mine = RepoStore.key(repo) + "-"
        var result: (mine: Set<Int>, others: Set<Int>) = ([], [])
        for (slot, template) in Self.records(in: store.directory) {
            guard let range = template.range else { continue }
            // The slot is `key-uid-gid`: this repo's when nothing but two numbers follows its key.
            if slot.hasPrefix(mine), slot.dropFirst(mine.count).split(separator: "-").count == 2 {
                result.mine.insert(range)
            } else {
                result.others.insert(range)
            }
        }
        result.others.subtract(result.mine)
        return result
    }

    /// The current template, if it still exists in Podman.
    func current(_ repo: RepoConfig, user: AgentIdentity) async throws -> Template? {
        guard let bytes = try? FileSystem.readFile(recordPath(slot(repo, user))),
              let template = try? JSONCoding.decoder.decode(Template.self, from: Data(bytes)) else { return nil }
        return try await podman.imageExists(template.image) ? template : nil
    }

    /// Builds a template at `base` (one build at a time per slot; callers in between share it).
    /// `range`: the burrow id range `user` belongs to, if any.
    func build(_ repo: RepoConfig, base: RepoStore.Base, user: AgentIdentity, range: Int?) async throws -> Template {
        try await start(repo, base: base, user: user, range: range).value
    }

    /// Starts a build that the caller does not wait for (the first launch of a repo fills its own
    /// workspace meanwhile); later launches wait for it in `build`. A failed one is retried by the next.
    func buildInBackground(_ repo: RepoConfig, base: RepoStore.Base, user: AgentIdentity, range: Int?) {
        _ = start(repo, base: base, user: user, range: range)
    }

    /// Waits until no build of `repo`'s template (for `user`, or for anyone) is in flight; ends at
    /// cancellation (the builds go on).
    func waitForBuilds(_ repo: RepoConfig, user: AgentIdentity? = nil) async throws {
        while true {
            let seen = buildsEnded.generation
            guard isBuilding(repo, user: user) else { return }
            try await buildsEnded.wait(past: seen)
        }
    }

    /// Whether a build of `repo`'s template (for `user`, or for anyone) is in flight.
    func isBuilding(_ repo: RepoConfig, user: AgentIdentity? = nil) -> Bool {
        if let user { return building[slot(repo, user)] != nil }
        return building.keys.contains { $0.hasPrefix(RepoStore.key(repo) + "-") }
    }

    /// Why the last build for `user` failed, if it did.
    func failure(_ repo: RepoConfig, user: AgentIdentity) -> String? { failures[slot(repo, user)] }

    /// Waits until no build is in flight (nothing can then still add an image).
    func settle() async {
        while let running = building.values.first { _ = try? await running.value }
    }

    private func start(_ repo: RepoConfig, base: RepoStore.Base, user: AgentIdentity, range: Int?) -> Task<Template, any Error> {
        let slot = slot(repo, user)
        if let running = building[slot] { return running }
        let (store, podman, labels, record) = (store, podman, labels, recordPath(slot))
        // Owned by `building` until it ends; isolated to this actor, it takes itself out only after
        // this method has put it in.
        let task = Task {
            do {
                var template = try await Self.make(repo, base: base, user: user, slot: slot, store: store, podman: podman, labels: labels)
                template.range = range
                try FileSystem.writeAtomically(Array(try JSONCoding.encoder.encode(template)), to: record, mode: 0o600)
                finished(slot, failure: nil)
                return template
            } catch {
                finished(slot, failure: "\(error)")
                throw error
            }
        }
        building[slot] = task
        return task
    }

    private func finished(_ slot: String, failure: String?) {
        building[slot] = nil
        failures[slot] = failure
        buildsEnded.wake()
    }

    private static func make(_ repo: RepoConfig, base: RepoStore.Base, user: AgentIdentity, slot: String,
                             store: RepoStore, podman: PodmanClient, labels: [String: String]) async throws -> Template {
        let image = "localhost/burrow-workspace-\(slot):\(base.commit.prefix(12))"
        let changes = ["LABEL io.burrow.template=\(slot)", "LABEL io.burrow.base=\(base.commit)"]
            + labels.sorted { $0.key < $1.key }.map { "LABEL \($0.key)=\($0.value)" }
        if base.commit.utf8.count == 40 {
            // Straight from the store's objects into the import: the tree is written once, as the image.
            let archive = TemplateArchive(store: store.gitDirectory(repo), commit: base.commit, branch: base.branch, owner: user)
            try await podman.importImage(reference: image, changes: changes) { writer in try await archive.write { try await writer.write($0) } }
        } else {
            try await importCheckout(repo, base: base, user: user, image: image, changes: changes, store: store, podman: podman)
        }
        return Template(image: image, base: base.commit, branch: base.branch)
    }

    /// A SHA-256 repository (no synthesized index for it): checked out on the host and imported as a tar.
    private static func importCheckout(_ repo: RepoConfig, base: RepoStore.Base, user: AgentIdentity, image: String, changes: [String],
                                       store: RepoStore, podman: PodmanClient) async throws {
        let directory = try FileSystem.makeTemporaryDirectory("burrow-template")
        defer { FileSystem.removeTree(directory) }
        let checkout = directory + "/repo"
        // The base by its pin in the store (a url repo's store has no branches), in the store's format.
        try await HostGit.source(nil, ["init", "--quiet", "--object-format=\(base.commit.utf8.count == 64 ? "sha256" : "sha1")", checkout])
        try await HostGit.source(checkout, ["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", store.gitDirectory(repo),
                                            "+refs/burrow/base/\(base.commit):refs/burrow/base"])
        try await HostGit.source(checkout, ["checkout", "--quiet", "-B", base.branch, base.commit])
        try await HostGit.source(checkout, ["update-ref", "-d", "refs/burrow/base"])
        // Stat data that survives the trip through a tar and an overlay: whole-second mtime and size.
        try await HostGit.source(checkout, ["config", "core.checkStat", "minimal"])
        try await HostGit.source(checkout, ["config", "core.trustctime", "false"])
        let tar = ["tar", "-C", checkout, "-cf", "-", "--numeric-owner", "--owner=\(user.uid)", "--group=\(user.gid)", "."]
        try await podman.importImage(reference: image, changes: changes) { writer in
            try await Subprocess.streamingOutput(tar) { output in
                var buffer: [UInt8] = []
                buffer.reserveCapacity(1 << 20)
                while true {
                    buffer.removeAll(keepingCapacity: true)
                    guard try await output.read(into: &buffer, maxBytes: 1 << 20) > 0 else { return }
                    try await writer.write(buffer)
                }
            }
        }
    }
}
