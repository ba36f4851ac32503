import FoundationEssentials
import BurrowSystem
import BurrowHTTP

/// What `podman build` is asked to do through libpod's `POST /build` (Podman's
/// pkg/api/handlers/compat/images_build.go reads these query parameters).
public struct ImageBuildOptions: Sendable, Equatable {
    public enum PullPolicy: String, Sendable {
        /// Pull a base image only when it is not present (Podman's default).
        case missing
        /// Never pull: only local images (a host with no registry, and the tests).
        case never
        case always
    }

    /// The Containerfile's path inside the context tar.
    public var dockerfile: String
    public var tags: [String]
    public var labels: [String: String] = [:]
    public var buildArgs: [String: String] = [:]
    public var target: String?
    public var pull: PullPolicy = .missing
    /// Keep each step as an image for later builds to reuse. Off by default: on Podman 4.3 an API
    /// build never hit that cache (two builds of one tar made different step images), and a failed
    /// build leaves its committed steps behind as untagged images nothing removes.
    public var layers = false

    public init(dockerfile: String, tags: [String]) {
        self.dockerfile = dockerfile
        self.tags = tags
    }

    var query: String {
        func escape(_ text: String) -> String { RequestTarget.percentEncode(text) }
        func json(_ map: [String: String]) -> String {
            String(decoding: (try? JSONCoding.encoder.encode(map)) ?? Data("{}".utf8), as: UTF8.self)
        }
        var query = "dockerfile=\(escape(dockerfile))&layers=\(layers)&pullpolicy=\(pull.rawValue)&rm=true&forcerm=true"
        for tag in tags { query += "&t=\(escape(tag))" }
        if !labels.isEmpty { query += "&labels=\(escape(json(labels)))" }
        if !buildArgs.isEmpty { query += "&buildargs=\(escape(json(buildArgs)))" }
        if let target { query += "&target=\(escape(target))" }
        return query
    }
}

extension PodmanClient {
    /// Builds an image from a context tar (`podman build`), passing each line of the build's output to
    /// `log` as it comes. Returns the image id. A failed step throws `.api` with Podman's message.
    /// No time limit: a build takes as long as its steps; cancelling the task closes the stream.
    public func buildImage(context: TarSource, _ options: ImageBuildOptions, log: @Sendable (String) -> Void) async throws -> String {
        let body: ClientRequest.Body
        switch context {
        case .bytes(let bytes): body = .bytes(bytes, contentType: "application/x-tar")
        case .file(let file):
            body = .stream(contentType: "application/x-tar") { writer in
                try await FileSystem.forEachChunk(of: file) { try await writer.write($0) }
            }
        case .stream(let produce): body = .stream(contentType: "application/x-tar", produce)
        }
        let path = "/build?" + options.query
        let stream: ResponseStream
        do {
            stream = try await openStream("POST", path, operation: "image build", body: body)
        } catch let error as PodmanError where error.isConnectionLoss {
            // A pooled connection Podman had closed fails before the build could start (the tar was
            // not received): once more on a fresh one, the body re-read from the start.
            stream = try await openStream("POST", path, operation: "image build", body: body)
        }
        var decoder = BuildOutputDecoder()
        var imageID: String?
        var failure: String?
        func handle(_ events: [BuildOutputDecoder.Event]) {
            for event in events {
                switch event {
                case .line(let line): log(line)
                case .imageID(let id): imageID = id
                case .error(let message):
                    failure = message
                    log("error: " + message)
                }
            }
        }
        try await withTaskCancellationHandler {
            do {
                while let piece = try await stream.next() { handle(try decoder.decode(piece)) }
                handle(try decoder.finish())
            } catch let error as HTTPClientError {
                throw PodmanError.streamInterrupted(operation: "image build", reason: error.description)
            } catch let error as BuildOutputDecoder.Malformed {
                stream.close()
                throw PodmanError.malformedResponse(operation: "image build", reason: error.reason)
            }
        } onCancel: {
            stream.close()
        }
        try Task.checkCancellation()
        if let failure { throw PodmanError.api(operation: "image build", status: stream.status, cause: "a build step failed", message: failure) }
        guard let imageID else { throw PodmanError.malformedResponse(operation: "image build", reason: "the build ended without naming an image") }
        return imageID
    }
}
