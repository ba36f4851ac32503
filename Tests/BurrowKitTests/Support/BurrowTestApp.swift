@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import Foundation
@testable import BurrowWeb
@testable import BurrowCommands

/// A real Burrow (manager, API, HTTP server) over the test Podman, with a fresh git repo and state dir.
final class BurrowTestApp: @unchecked Sendable {
    let server: TestServer
    let manager: BurrowManager
    let repoPath: String
    let stateDir: String
    let cacheName: String

    static func makeRepo() async throws -> String {
        let path = try TemporaryDirectory.make("burrow-repo")
        try await Subprocess.check(["git", "-C", path, "init", "--quiet", "-b", "main"])
        try FileSystem.writeAtomically(Array("# demo\n".utf8), to: path + "/README.md")
        try await Subprocess.check(["git", "-C", path, "add", "."])
        try await Subprocess.check(["git", "-C", path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet", "-m", "init"])
        return path
    }

    init(maxConcurrent: Int = 4, cacheName: String = PodmanTestEnvironment.uniqueName("cache"), stateDir: String? = nil,
         repoPath: String? = nil, previewTimeout: Duration = .seconds(30), previewConnections: Int = 256,
         configure: (inout Config) -> Void = { _ in }) async throws {
        let podman = try await PodmanTestEnvironment.client()
        self.cacheName = cacheName
        if let repoPath { self.repoPath = repoPath } else { self.repoPath = try await Self.makeRepo() }
        self.stateDir = try stateDir ?? TemporaryDirectory.make("burrow-state")
        var config = Config()
        config.stateDir = self.stateDir
        config.image = PodmanTestEnvironment.image
        config.network = NetworkConfig(mode: .none)
        config.maxConcurrent = maxConcurrent
        config.caches = [CacheConfig(name: cacheName, path: "/home/agent/.cache/burrow-test")]
        config.repos = [RepoConfig(name: "demo", path: self.repoPath)]
        if let forwarder = FileSystem.environment("BURROW_TEST_FORWARDER") { config.forwarderPath = forwarder }
        configure(&config)
        let manager = try BurrowManager(config: config, podman: podman)
        await manager.restore()
        self.manager = manager
        server = try TestServer(routes: { router in router.addBurrows(manager) },
                                previews: { PreviewGateway(manager: manager, listenPort: $0, responseTimeout: previewTimeout, maxConnections: previewConnections) })
        TestCleanup.shared.add { [self] in await self.cleanUp() }
    }

    func launch(_ task: String, repo: String = "demo") async throws -> BurrowRecord {
        let body = String(decoding: try JSONEncoder().encode(["repo": repo, "task": task]), as: UTF8.self)
        let response = try await server.request("POST", "/api/burrows", headers: ["Content-Type": "application/json"], body: body)
        guard response.status == 201 else { throw HTTPError(HTTPStatus(response.status, ""), response.text) }
        return try JSONDecoder().decode(BurrowRecord.self, from: Data(response.body))
    }

    func record(_ id: String) async throws -> BurrowRecord { try await manager.record(id) }

    /// The test cache's volume for `repo`'s burrows.
    func cacheVolume(repo: String = "demo") -> String {
        (manager.config.caches.first { $0.name == cacheName } ?? CacheConfig(name: cacheName, path: "/")).volumeName(repo: repo)
    }

    /// Waits until the burrow reaches a final state.
    func finished(_ id: String, within seconds: Double = 60) async throws -> BurrowRecord {
        try await withTimeout(seconds) {
            while true {
                let record = try await self.manager.record(id)
                if record.state.isFinal, try await self.manager.events(id).ended { return record }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// Opens the burrow's event stream and reads it until `end`.
    func readStream(_ id: String, lastEventID: Int? = nil, within seconds: Double = 60) async throws -> [StreamEvent] {
        let client = try await server.client()
        defer { client.close() }
        var head = "GET /api/burrows/\(id)/events HTTP/1.1\r\nHost: \(server.host)\r\nAuthorization: Bearer \(server.token)\r\n"
        if let lastEventID { head += "Last-Event-ID: \(lastEventID)\r\n" }
        try await client.send(head + "\r\n")
        _ = try await client.streamHead()
        return try await withTimeout(seconds) { try await readUntilEnd(client) }
    }

    private let cleaned = Locked(false)

    /// Removes what this app made in Podman and stops its server; a second call does nothing.
    func cleanUp() async {
        guard cleaned.withLock({ done in defer { done = true }; return !done }) else { return }
        // First every run ends: a preparation left running would make containers and volumes again
        // while they are removed here (Podman then keeps a volume without its folder).
        await manager.endRuns()
        let records = await manager.list()
        for record in records { _ = try? await manager.stop(record.id) }
        let left = await PodmanLeftovers.remove(records.map { .init(id: $0.id, container: $0.container, volumes: $0.ownVolumes) },
                                                podman: manager.podman)
        for volume in (try? await manager.podman.listVolumes(label: "io.burrow.cache=\(cacheName)")) ?? [] {
            try? await manager.podman.removeVolume(volume.name, force: true)
        }
        await manager.previewHub.stopAll()
        // Each test's repo has its own workspace template image (one may still be in the making).
        await manager.settleRangePreparations()
        await manager.crossing.templates.settle()
        let key = RepoStore.key(RepoConfig(name: "demo", path: repoPath))
        for image in (try? await manager.podman.listImages(label: "io.burrow.template")) ?? []
        where image.labels?["io.burrow.template"]?.hasPrefix(key) == true {
            try? await manager.podman.removeImage(image.id)
        }
        // What one test leaves in Podman breaks later ones (held id ranges, a volume without its folder).
        var instanceLeft: [String] = []
        if let instance = try? await manager.instanceLabels()[BurrowLabels.instance] {
            instanceLeft = await PodmanLeftovers.labelled("\(BurrowLabels.instance)=\(instance)", podman: manager.podman)
        }
        PodmanLeftovers.report(Array(Set(left + instanceLeft)).sorted())
        await server.stop()
    }
}

struct StreamEvent: Sendable, Equatable {
    let id: Int
    let kind: String
    let data: String
}

func readUntilEnd(_ client: RawClient) async throws -> [StreamEvent] {
    var pending: [UInt8] = []
    var events: [StreamEvent] = []
    while events.last?.kind != "end" {
        let bytes = try await client.readSome()
        if bytes.isEmpty { break }
        pending += bytes
        while let end = pending.firstRange(of: [0x0A, 0x0A]) {
            let block = String(decoding: pending[..<end.lowerBound], as: UTF8.self)
            pending.removeSubrange(..<end.upperBound)
            var id: Int?, kind = "message", data: [String] = []
            for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
                if line.hasPrefix("id: ") { id = Int(line.dropFirst(4)) }
                if line.hasPrefix("event: ") { kind = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") { data.append(String(line.dropFirst(6))) }
            }
            if let id { events.append(StreamEvent(id: id, kind: kind, data: data.joined(separator: "\n"))) }
        }
    }
    return events
}
