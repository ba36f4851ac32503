import FoundationEssentials
import BurrowSystem
import BurrowPodman

/// How a repository crosses into a burrow and how the work comes home, as one mechanism:
/// in, the store fetches what changed, the workspace is a copy-on-write volume over the repo's
/// template (the repo's first launch, before the template exists, unpacks it into a plain volume),
/// and a bundle of the commits the template lacks is checked out by a helper in the sandbox;
/// home, a helper in the sandbox bundles the agent's new commits (uncommitted work committed on top)
/// and the host takes only that bundle into Burrow's own repository.
struct Crossing: Sendable {
    let podman: PodmanClient
    let store: RepoStore
    let templates: WorkspaceTemplates
    /// A bundle larger than this rebuilds the template instead: the repo has moved far from it.
    var rebuildAboveBytes: Int64 = 64 << 20
    /// Files larger than this stay in the burrow (named on the record); the bundle home is capped too.
    var maxFileBytes: Int64 = 100 << 20
    var maxBundleBytes: Int64 = 1 << 30
    /// When set, the harvest's scratch space is a tmpfs of this size (tests fill it to see a full disk).
    var scratchLimitBytes: Int64?
    /// Whether the harvest may read a workspace's own layer (`workspaceLayer`): only where Podman's
    /// storage is on this host (not a remote runner's).
    var readsWorkspaceLayers = true

    /// `labels`: what every template image carries (the instance that owns it).
    init(podman: PodmanClient, stateDir: String, labels: [String: String] = [:]) throws {
        self.podman = podman
        store = try RepoStore(directory: stateDir + "/repos")
        templates = WorkspaceTemplates(store: store, podman: podman, labels: labels)
    }

    struct Burrow: Sendable {
        let id: String
        let workspaceVolume: String
        let labels: [String: String]
        let user: AgentIdentity
        /// The burrow's own id range: its helpers run in it, and its template is owned by it.
        var ids: IDSlot?
        /// Podman's storage, when it is on this host (where the workspace's own layer is).
        var storage: PodmanStorage?

        /// The agent as the Podman user's namespace sees it: the owner of the workspace's files.
        var owner: AgentIdentity { ids?.outside(user) ?? user }
    }

    /// The repo's ref as a commit, fetched into Burrow's store (only what changed since last time).
    func fetchBase(_ repo: RepoConfig) async throws -> RepoStore.Base { try await store.fetch(repo) }

    /// Makes the burrow's workspace volume at `base`; returns its commit.
    func enter(_ burrow: Burrow, repo: RepoConfig, base: RepoStore.Base) async throws -> String {
        // A template per owner: in a burrow's own id range, its files must be that range's agent's.
        var template = try await templates.current(repo, user: burrow.owner)
        // A repo's first burrow (in this range) does not wait for its template image: the same tar
        // fills a plain volume, and the image is built in the background for the next ones (a build
        // already under way, perhaps just begun, is not waited for either).
        if template == nil, base.commit.utf8.count == 40 {
            try await fill(burrow, repo: repo, base: base)
            await templates.buildInBackground(repo, base: base, user: burrow.owner, range: burrow.ids?.index)
            return base.commit
        }
        if template == nil { template = try await templates.build(repo, base: base, user: burrow.owner, range: burrow.ids?.index) }
        let directory = try FileSystem.makeTemporaryDirectory("burrow-enter")
        defer { FileSystem.removeTree(directory) }
        let bundle = directory + "/base.bundle"
        var hasBundle = try await store.bundle(repo, base: base.commit, known: template!.base, into: bundle)
        if hasBundle, let size = FileSystem.status(bundle)?.size, Int64(size) > rebuildAboveBytes {
            template = try await templates.build(repo, base: base, user: burrow.owner, range: burrow.ids?.index)
            hasBundle = false
        }
        try await podman.removeVolume(burrow.workspaceVolume, force: true)
        try await podman.createVolume(name: burrow.workspaceVolume, labels: burrow.labels, driver: "image", options: ["image": template!.image])
        // The root of a volume over an image is its user namespace's root's, read-only to anyone else,
        // whatever the image has at /workspace: made writable for the agent (a single-user box: only
        // the agent's processes are in it), on the host where its layer is here.
        if await !claimLayer(burrow) { try await claim(burrow, image: try await HelperImage.ensure(podman)) }
        guard template!.base != base.commit || template!.branch != base.branch else { return base.commit }
        var input: String?
        if hasBundle {
            input = directory + "/in.tar"
            try await Subprocess.check(["tar", "-C", directory, "-cf", input!, "--numeric-owner", "--owner=\(burrow.user.uid)", "--group=\(burrow.user.gid)", "base.bundle"])
        }
        let checkout = helper(burrow, image: try await HelperImage.ensure(podman), role: "enter", step: "checking out the base")
        _ = try await checkout.run(["/bin/sh", "/usr/local/bin/burrow-enter", base.commit, base.branch], input: input) { _, _, _ in () }
        return base.commit
    }

    /// The first launch of a repo: its workspace is a plain volume that the template's archive is
    /// unpacked into, so the tree is written once, as a clone writes it, and the agent starts without
    /// waiting for Podman's image import (three writes of the tree); the template follows in the background.
    private func fill(_ burrow: Burrow, repo: RepoConfig, base: RepoStore.Base) async throws {
        try await podman.removeVolume(burrow.workspaceVolume, force: true)
        try await podman.createVolume(name: burrow.workspaceVolume, labels: burrow.labels)
        let helperImage = try await HelperImage.ensure(podman)
        try await claim(burrow, image: helperImage)
        var unrooted = TemplateArchive(store: store.gitDirectory(repo), commit: base.commit, branch: base.branch, owner: burrow.user)
        unrooted.includesRoot = false
        let archive = unrooted
        try await helper(burrow, image: helperImage, role: "fill", step: "filling the workspace").upload(to: "/workspace") { writer in
            try await archive.write { try await writer.write($0) }
        }
    }

    /// Makes a new workspace's root writable for the agent from inside: a helper mounts it first and
    /// changes its mode.
    private func claim(_ burrow: Burrow, image: String) async throws {
        var claim = helper(burrow, image: image, role: "claim", step: "preparing the workspace")
        claim.asRoot = true
        // In Podman's default namespace, whose root owns the new volume's root (Podman 5 leaves it
        // so; a burrow's own range could not change it). Nothing of the agent is in it yet.
        claim.idMappings = nil
        _ = try await claim.run(["/bin/chmod", "0777", "/workspace"]) { _, _, _ in () }
    }

    static func helperName(_ id: String, role: String) -> String { "burrow-\(id)-\(role)" }

    /// A helper container `burrow-<id>-<role>` on the burrow's workspace, as the agent's uid.
    private func helper(_ burrow: Burrow, image: String, role: String, step: String, workspaceOptions: [String] = []) -> HelperContainer {
        HelperContainer(podman: podman, image: image, name: Self.helperName(burrow.id, role: role), labels: burrow.labels, user: burrow.user,
                        volumes: [.init(name: burrow.workspaceVolume, destination: "/workspace", options: workspaceOptions)], step: step,
                        idMappings: burrow.ids?.mappings)
    }

    struct Harvest: Sendable {
        let head: String
        let agentHead: String?
        let branch: String?
        let notes: [String]
        /// Its steps: the harvest in the sandbox (through reading its bundle), the host's fetch, and
        /// the helper's removal still under way after it.
        var timeline: [StartupPhase] = []
    }

    /// The harvest's helper, on the read-only workspace; the commit message (the task's words) in its
    /// environment, not in its arguments.
    private func homeHelper(_ burrow: Burrow, message: String) async throws -> HelperContainer {
        var helper = helper(burrow, image: try await HelperImage.ensure(podman), role: "home", step: "collecting the agent's work",
                            workspaceOptions: ["ro"])
        helper.scratchLimitBytes = scratchLimitBytes
        helper.environment = ["BURROW_COMMIT_MESSAGE": message]
        return helper
    }

    /// `helper` as it is created now: with the workspace's own layer when there is one.
    private func withLayer(_ helper: HelperContainer, _ burrow: Burrow) async -> HelperContainer {
        var helper = helper
        helper.layer = await workspaceLayer(burrow)
        return helper
    }

    /// What a turn's harvest is asked: the same when its helper starts ahead and at the turn's end.
    struct HarvestRequest: Equatable, Sendable {
        let base: String
        let message: String
        var exclude: [String] = []
        /// The agent's heads the host already has (earlier turns').
        var known: [String] = []
    }

    /// The harvest's command line for `request`.
    func harvestCommand(_ request: HarvestRequest) -> [String] {
        ["/bin/sh", "/usr/local/bin/burrow-harvest", request.base, String(maxFileBytes),
         ResultExclude.ignoreLines(request.exclude)] + request.known.filter(ObjectID.isValid)
    }

    /// Starts the harvest's helper while the agent works, waiting to run `request` (`bringHome(started:)`).
    func startHomeHelper(_ burrow: Burrow, request: HarvestRequest) async throws -> HelperContainer.Waiting {
        try await withLayer(try await homeHelper(burrow, message: request.message), burrow).startWaiting(harvestCommand(request))
    }

    /// Brings the turn's work home: a helper bundles it in the sandbox, the host checks and takes it.
    /// `started`: the helper started ahead (`startHomeHelper`); unless it waits to run this turn's
    /// harvest, one is made now.
    func bringHome(_ burrow: Burrow, repo: RepoConfig, turn: Homecoming.Turn, request: HarvestRequest, folder: String,
                   started: HelperContainer.Waiting? = nil) async throws -> Harvest {
        let began = Monotonic.now()
        let fetched = Locked<(from: UInt64, to: UInt64)?>(nil)
        let directory = try FileSystem.makeTemporaryDirectory("burrow-home")
        defer { FileSystem.removeTree(directory) }
        let bundlePath = directory + "/result.bundle"
        let helper = try await homeHelper(burrow, message: request.message)
        let limit = maxBundleBytes
        let arguments = harvestCommand(request)
        let store = store.gitDirectory(repo)
        let collect: @Sendable (PodmanClient, String, HelperContainer.Outcome) async throws -> Int64 = { podman, name, outcome in
            // A small bundle comes in the summary itself: nothing to read from the helper's files.
            if (try? HarvestSummary.parse(outcome.summary))?.inlineBundle != nil { return Int64(-2) }
            do {
                return try await ArchivedFile.save(try await podman.getArchive(name, path: "/out/result.bundle"), to: bundlePath, limit: limit)
            } catch let error as PodmanError where error.isNotFound {
                return Int64(-1)
            }
        }
        let take: @Sendable (HelperContainer.Outcome, Int64) async throws -> (HarvestSummary, Homecoming.Arrival) = { outcome, archived in
            // The host takes the work while Podman removes the helper.
            let from = Monotonic.now()
            defer { fetched.withLock { $0 = (from, Monotonic.now()) } }
            let summary = try HarvestSummary.parse(outcome.summary)
            var saved = archived
            if let inline = summary.inlineBundle {
                guard Int64(inline.count) <= limit else { throw CrossingError.resultTooLarge(bytes: Int64(inline.count), limit: limit) }
                try FileSystem.writeAtomically(inline, to: bundlePath, mode: 0o600)
                saved = Int64(inline.count)
            }
            guard summary.bundle == (saved >= 0) else { throw CrossingError.resultRejected("the harvest's summary and its files disagree") }
            let arrival = try await Homecoming.receive(bundle: summary.bundle ? bundlePath : nil, head: summary.head, turn: turn, repo: repo,
                                                       store: store, resultRepo: folder + "/result.git", patchPath: folder + "/result.patch")
            return (summary, arrival)
        }
        let (summary, arrival) = if let started, started.command == arguments, started.environment == helper.environment { try await helper.runStarted(started, collect: collect, then: take) }
            else { try await withLayer(helper, burrow).run(arguments, collect: collect, then: take) }
        let ended = Monotonic.now(), fetch = fetched.withLock { $0 } ?? (from: ended, to: ended)
        let ms = { (from: UInt64, to: UInt64) in Double(to - from) / 1e6 }
        return Harvest(head: arrival.head, agentHead: summary.agentHead, branch: arrival.branch, notes: summary.notes + arrival.notes,
                       timeline: [StartupPhase(summary.layer == true ? "harvestLayer" : "harvest", ms: ms(began, fetch.from)),
                                  StartupPhase("fetch", ms: ms(fetch.from, fetch.to)),
                                  StartupPhase("removal", ms: ms(fetch.to, ended))])
    }
}

/// The harvest script's one-line summary, checked field by field.
struct HarvestSummary: Decodable, Sendable {
    let head: String
    let agentHead: String?
    let bundle: Bool
    /// The bundle itself when it is small (base64): the helper prints it rather than leaving it in
    /// the container, whose files Podman must mount to hand out.
    var bundleBase64: String? = nil
    /// Whether the harvest found what changed in the workspace's own layer (not by walking every file).
    var layer: Bool? = nil
    let notes: [String]

    /// Bundles up to this size come in the summary line: its base64 (22 KB) and 50 notes (30 KB at
    /// most) stay under the 64 KiB a line of a helper's output may take.
    static let inlineBundleBytes = 16 << 10

    var inlineBundle: [UInt8]? { bundleBase64.flatMap { $0.isEmpty ? nil : Data(base64Encoded: $0).map(Array.init) } }

    static func parse(_ line: String) throws -> HarvestSummary {
        guard line.utf8.count <= 1 << 20, let summary = try? JSONCoding.decoder.decode(HarvestSummary.self, from: Data(line.utf8)),
              ObjectID.isValid(summary.head) else {
            throw CrossingError.resultRejected("the harvest's summary is not what Burrow's helper writes: \(line.prefix(200))")
        }
        let agentHead = summary.agentHead.flatMap { ObjectID.isValid($0) ? $0 : nil }
        if let inline = summary.bundleBase64, !inline.isEmpty {
            guard summary.bundle, let bytes = summary.inlineBundle, bytes.count <= inlineBundleBytes else {
                throw CrossingError.resultRejected("the harvest's summary carries a bundle that is not what Burrow's helper writes")
            }
        }
        return HarvestSummary(head: summary.head, agentHead: agentHead, bundle: summary.bundle, bundleBase64: summary.bundleBase64,
                              layer: summary.layer, notes: Array(summary.notes.prefix(50).map { String($0.prefix(400)) }))
    }

    init(head: String, agentHead: String?, bundle: Bool, bundleBase64: String? = nil, layer: Bool? = nil, notes: [String]) {
        self.head = head
        self.agentHead = agentHead
        self.bundle = bundle
        self.bundleBase64 = bundleBase64
        self.layer = layer
        self.notes = notes
    }
}
