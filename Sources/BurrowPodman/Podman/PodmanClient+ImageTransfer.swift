import FoundationEssentials
import BurrowSystem
import BurrowHTTP

/// Moving an image between two Podmans through their APIs only (a remote runner lacks an image the
/// local Podman has): one's `images/{name}/get` archive streams straight into the other's `images/load`.
extension PodmanClient {
    /// Copies `name` from this Podman into `target`, as it is read (nothing stored on the way).
    public func copyImage(_ name: String, to target: PodmanClient) async throws {
        let export = try await openStream("GET", "/images/\(escape(name))/get?format=docker-archive", operation: "image export")
        defer { export.close() }
        let load = try await target.openStream("POST", "/images/load", operation: "image load",
                                               body: .stream(contentType: "application/x-tar") { writer in
            while let chunk = try await export.next() { try await writer.write(chunk) }
        })
        _ = try await load.collect(limit: 1 << 20)
    }
}
