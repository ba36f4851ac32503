import FoundationEssentials
import Synchronization
import BurrowSystem
import BurrowHTTP

/// Podman's libpod REST API over its Unix socket. Typed operations; errors carry Podman's message.
public final class PodmanClient: Sendable {
    public let socketPath: String
    let http: HTTPClient
    let prefix: Locked<String>
    public static let defaultTimeout = Duration.seconds(60)

    /// For a socket forwarded from a remote runner: its name, so that errors say what to check.
    public let runner: String?
    /// Bounds the short calls in flight and knows since when Podman has not answered.
    public let gate: PodmanGate

    public init(socketPath: String, runner: String? = nil, gate: PodmanGate = PodmanGate()) {
        self.socketPath = socketPath
        self.runner = runner
        self.gate = gate
        self.http = HTTPClient(address: .unix(socketPath))
        self.prefix = Locked("/v4.0.0/libpod")
    }

    /// Finds the socket, checks that Podman answers, and picks the route prefix from its API version.
    public static func connect(configured: String = "auto") async throws -> PodmanClient {
        let client = PodmanClient(socketPath: try PodmanSocket.locate(configured: configured))
        try await client.negotiateVersion()
        return client
    }

    /// Picks the route prefix from Podman's API version (until then: v4's, which Podman 5 serves too).
    public func negotiateVersion() async throws {
        let version = try await version()
        prefix.withLock { $0 = "/v\(max(4, version.major)).0.0/libpod" }
    }

    // MARK: System

    public func ping() async throws {
        _ = try await call("GET", "/_ping", operation: "ping", expect: [200])
    }

    public func version() async throws -> PodmanVersion {
        try await decode(PodmanVersion.self, try await call("GET", "/version", operation: "version", expect: [200]), "version")
    }

    public func info() async throws -> PodmanInfo {
        try await decode(PodmanInfo.self, try await call("GET", "/info", operation: "info", expect: [200]), "info")
    }

    // MARK: Images

    public func imageExists(_ name: String) async throws -> Bool {
        let response = try await call("GET", "/images/\(escape(name))/exists", operation: "image exists", expect: [204, 404])
        return response.status == 204
    }

    public func inspectImage(_ name: String) async throws -> ImageInspect {
        do {
            return try await decode(ImageInspect.self, try await call("GET", "/images/\(escape(name))/json", operation: "image inspect", expect: [200]),
                                    "image inspect")
        } catch let error as PodmanError where error.isNotFound {
            throw PodmanError.imageMissing(image: name)
        }
    }

    public func removeImage(_ name: String, force: Bool = true) async throws {
        _ = try await call("DELETE", "/images/\(escape(name))?force=\(force)", operation: "image remove", expect: [200, 404])
    }

    /// Imports a rootfs tarball as an image, its bytes produced as they are sent (a tar streamed from
    /// a program, never written to disk).
    public func importImage(reference: String, changes: [String] = [], producing body: @escaping @Sendable (ClientBodyWriter) async throws -> Void) async throws {
        var query = "reference=\(escape(reference))"
        for change in changes { query += "&changes=\(escape(change))" }
        _ = try await call("POST", "/images/import?\(query)", operation: "image import",
                           body: .stream(contentType: "application/x-tar", body), expect: [200], timeout: nil)
    }

    /// Imports a rootfs tarball as an image (`podman import`), streaming the file.
    public func importImage(tarPath: String, reference: String, changes: [String] = []) async throws {
        var query = "reference=\(escape(reference))"
        for change in changes { query += "&changes=\(escape(change))" }
        _ = try await call("POST", "/images/import?\(query)", operation: "image import", body: .stream(contentType: "application/x-tar") { writer in
            try await FileSystem.forEachChunk(of: tarPath) { try await writer.write($0) }
        }, expect: [200], timeout: nil)
    }

    // MARK: Containers

    public func createContainer(_ spec: ContainerSpec) async throws -> CreatedContainer {
        let body = try JSONCoding.encoder.encode(spec)
        do {
            let response = try await call("POST", "/containers/create", operation: "container create",
                                          body: .bytes(Array(body), contentType: "application/json"), expect: [201])
            return try await decode(CreatedContainer.self, response, "container create")
        } catch let error as PodmanError {
            if Self.meansImageMissing(error) { throw PodmanError.imageMissing(image: spec.image) }
            throw error
        }
    }

    public func start(_ id: String) async throws {
        _ = try await call("POST", "/containers/\(escape(id))/start", operation: "container start", expect: [204, 304])
    }

    /// Waits until the container exits; returns its exit code. `timeout`: for a container known to
    /// have exited (a wait that is then not answered is Podman's stall, not the container's).
    /// Burrow waits only for containers about to end (a helper's script, an agent whose output ended),
    /// so Podman is asked to look more often than its default 250 ms, which each helper and each
    /// agent's exit otherwise waited out in full. Each look costs Podman 4 a little CPU (8 waiters at
    /// 20 ms: 8-23 % of a core), hence not shorter.
    public static let exitPollInterval = "50ms"

    public func wait(_ id: String, timeout: Duration? = nil) async throws -> Int32 {
        let response = try await call("POST", "/containers/\(escape(id))/wait?condition=exited&interval=\(Self.exitPollInterval)", operation: "container wait",
                                      expect: [200], timeout: timeout)
        guard let code = Int32(response.text.filter { !$0.isWhitespace }) else {
            throw PodmanError.malformedResponse(operation: "container wait", reason: "exit code '\(response.text)'")
        }
        return code
    }

    public func stop(_ id: String, timeout seconds: Int = 10) async throws {
        _ = try await call("POST", "/containers/\(escape(id))/stop?timeout=\(seconds)", operation: "container stop",
                           expect: [204, 304], timeout: .seconds(seconds + 30))
    }

    public func kill(_ id: String, signal: String = "SIGKILL") async throws {
        _ = try await call("POST", "/containers/\(escape(id))/kill?signal=\(signal)", operation: "container kill", expect: [204])
    }

    /// Removes a container (and its anonymous volumes). A container that is already gone is not an error.
    /// `stopTimeout`: how long a running one is given after its stop signal (nil: its own stop timeout);
    /// 0 kills it at once (a container's first process with no handler for SIGTERM ignores it).
    public func remove(_ id: String, force: Bool = true, stopTimeout: Int? = nil) async throws {
        let timeout = stopTimeout.map { "&timeout=\($0)" } ?? ""
        _ = try await call("DELETE", "/containers/\(escape(id))?force=\(force)&volumes=true\(timeout)", operation: "container remove",
                           expect: [200, 204, 404])
    }

    /// Podman's whole inspect document, as it sent it (for audits: what does Podman hold?).
    public func rawInspect(_ id: String) async throws -> String {
        try await call("GET", "/containers/\(escape(id))/json", operation: "container inspect", expect: [200]).text
    }

    public func inspectContainer(_ id: String) async throws -> ContainerInspect {
        try await decode(ContainerInspect.self, try await call("GET", "/containers/\(escape(id))/json", operation: "container inspect", expect: [200]),
                         "container inspect")
    }

    /// Containers (running or not) carrying `label` (`key` or `key=value`).
    public func listContainers(label: String) async throws -> [ContainerSummary] {
        try await listContainers(filter: "label", label)
    }

    /// Every container, running or not, that mounts volume `name`.
    public func listContainers(usingVolume name: String) async throws -> [ContainerSummary] {
        try await listContainers(filter: "volume", name)
    }

    private func listContainers(filter: String, _ value: String) async throws -> [ContainerSummary] {
        let filters = try JSONCoding.encoder.encode([filter: [value]])
        return try await decode([ContainerSummary].self,
                                try await call("GET", "/containers/json?all=true&filters=\(escape(String(decoding: filters, as: UTF8.self)))",
                                               operation: "container list", expect: [200]),
                                "container list")
    }

    /// The container's output as demultiplexed frames. With `follow`, the stream stays open while the
    /// container runs and ends when it exits; a Podman that goes away ends it with an error.
    public func logs(_ id: String, follow: Bool, since: String? = nil, tty: Bool = false) async throws -> LogStream {
        var query = "stdout=true&stderr=true&follow=\(follow)"
        if let since { query += "&since=\(escape(since))" }
        // Podman 4.3 sends a followed log's head only with its first line: a quiet container is no stall.
        let stream = try await openStream("GET", "/containers/\(escape(id))/logs?\(query)", operation: "container logs",
                                          headDeadline: follow ? nil : PodmanClient.defaultTimeout)
        return LogStream(stream, mode: tty ? .raw : .auto, operation: "container logs")
    }

    /// The container's live output straight from its attach socket (no log file in between): much
    /// faster than `logs` under a flood, but only what is written while attached. Podman answers the
    /// request only once the container runs, so call this from a task and start the container.
    /// `headDeadline`: how long Podman may take to answer (nil: no limit, for a container not yet started).
    public func attach(_ id: String, headDeadline: Duration? = nil) async throws -> LogStream {
        let stream = try await openStream("POST", "/containers/\(escape(id))/attach?stream=true&stdout=true&stderr=true&logs=false",
                                          operation: "container attach", headDeadline: headDeadline)
        return LogStream(stream, mode: .auto, operation: "container attach")
    }

    /// Podman's event stream, filtered by label (and container events only).
    public func events(label: String) async throws -> EventStream {
        let filters = escape("{\"label\":[\"\(label)\"],\"type\":[\"container\"]}")
        return EventStream(try await openStream("GET", "/events?stream=true&filters=\(filters)", operation: "events"))
    }

    // MARK: Archives

    /// Unpacks a tar into `path` in the container (which may be created and not yet started).
    public func putArchive(_ id: String, path: String, tar: TarSource) async throws {
        let body: ClientRequest.Body
        switch tar {
        case .bytes(let bytes): body = .bytes(bytes, contentType: "application/x-tar")
        case .file(let file):
            body = .stream(contentType: "application/x-tar") { writer in
                try await FileSystem.forEachChunk(of: file) { try await writer.write($0) }
            }
        case .stream(let produce): body = .stream(contentType: "application/x-tar", produce)
        }
        _ = try await call("PUT", "/containers/\(escape(id))/archive?path=\(escape(path))", operation: "archive upload",
                           body: body, expect: [200], timeout: nil)
    }

    /// A tar of `path` in the container, as a stream.
    public func getArchive(_ id: String, path: String) async throws -> ResponseStream {
        try await openStream("GET", "/containers/\(escape(id))/archive?path=\(escape(path))", operation: "archive download")
    }

    // MARK: Volumes

    /// Creates a volume: a plain one (`options` such as `["o": "uid=1000,gid=1000"]`), or with
    /// `driver: "image"` and `["image": NAME]` a copy-on-write volume over an image's files.
    public func createVolume(name: String, labels: [String: String] = [:], driver: String = "local", options: [String: String] = [:]) async throws {
        struct Body: Encodable { let Name: String; let Labels: [String: String]; let Driver: String; let Options: [String: String] }
        let body = try JSONCoding.encoder.encode(Body(Name: name, Labels: labels, Driver: driver, Options: options))
        _ = try await call("POST", "/volumes/create", operation: "volume create", body: .bytes(Array(body), contentType: "application/json"), expect: [201])
    }

    public func inspectVolume(_ name: String) async throws -> VolumeInfo {
        try await decode(VolumeInfo.self, try await call("GET", "/volumes/\(escape(name))/json", operation: "volume inspect", expect: [200]), "volume inspect")
    }

    public func volumeExists(_ name: String) async throws -> Bool {
        let response = try await call("GET", "/volumes/\(escape(name))/exists", operation: "volume exists", expect: [204, 404])
        return response.status == 204
    }

    public func listVolumes(label: String) async throws -> [VolumeInfo] {
        let filters = escape("{\"label\":[\"\(label)\"]}")
        return try await decode([VolumeInfo].self, try await call("GET", "/volumes/json?filters=\(filters)", operation: "volume list", expect: [200]),
                                "volume list")
    }

    /// Removes a volume; one that is already gone is not an error.
    public func removeVolume(_ name: String, force: Bool = false) async throws {
        _ = try await call("DELETE", "/volumes/\(escape(name))?force=\(force)", operation: "volume remove", expect: [204, 404])
    }

    static func meansImageMissing(_ error: PodmanError) -> Bool {
        let text: String
        switch error {
        case .api(_, _, let cause, let message): text = (cause + " " + message).lowercased()
        case .notFound(_, let message): text = message.lowercased()
        default: return false
        }
        return text.contains("image not known") || text.contains("no such image") || text.contains("image not found")
    }

    func escape(_ text: String) -> String { RequestTarget.percentEncode(text) }
}

public enum TarSource: Sendable {
    case bytes([UInt8])
    case file(String)
    /// Written as it is made (never stored).
    case stream(@Sendable (ClientBodyWriter) async throws -> Void)
}
