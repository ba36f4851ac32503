import FoundationEssentials
import BurrowSystem
import BurrowHTTP

/// How much disk Podman's containers and volumes take, as Podman measures it (`system df`): Podman
/// walks each volume itself, as the owner of every id in it, without following its symlinks; nothing
/// of a container's image runs for it.
public struct PodmanDiskUsage: Decodable, Sendable {
    public struct Container: Decodable, Sendable {
        public let names: String?
        /// Bytes written to the container's own layer (its writable root).
        public let rwSize: Int64?
        enum CodingKeys: String, CodingKey { case names = "Names", rwSize = "RWSize" }
    }
    public struct Volume: Decodable, Sendable {
        public let name: String
        public let size: Int64?
        enum CodingKeys: String, CodingKey { case name = "VolumeName", size = "Size" }
    }
    public let containers: [Container]?
    public let volumes: [Volume]?
    enum CodingKeys: String, CodingKey { case containers = "Containers", volumes = "Volumes" }

    /// The bytes of these volumes and the writable layer of this container (0 for what is not there).
    public func bytes(volumes names: [String], container: String) -> Int64 {
        let volumeBytes = (volumes ?? []).filter { names.contains($0.name) }.reduce(Int64(0)) { $0 + max(0, $1.size ?? 0) }
        let layer = (containers ?? []).first { $0.names == container }?.rwSize ?? 0
        return volumeBytes + max(0, layer)
    }
}

extension PodmanClient {
    /// Podman's `system df`: every container's and volume's size, walked now (seconds on a big store).
    public func diskUsage() async throws -> PodmanDiskUsage {
        let stream = try await openStream("GET", "/system/df", operation: "system df")
        defer { stream.close() }
        let body = try await stream.collect(limit: 64 << 20)
        do {
            return try JSONDecoder().decode(PodmanDiskUsage.self, from: Data(body))
        } catch {
            throw PodmanError.malformedResponse(operation: "system df", reason: JSONErrorText.describe(error))
        }
    }
}
