@testable import BurrowKit
@testable import BurrowPodman

/// What a test's burrows and Burrow instance left in the test Podman, removed and named. A create
/// Podman received before a run ended may still finish while this removes, so removal repeats until
/// nothing is left (3 rounds).
enum PodmanLeftovers {
    struct Burrow: Sendable {
        let id: String
        let container: String
        let volumes: [String]
    }

    /// Removes the burrows' containers (by name and by `io.burrow.id`) and volumes, and, given its
    /// label, everything of the instance; returns what is still there.
    static func remove(_ burrows: [Burrow], instanceLabel: String? = nil, podman: PodmanClient) async -> [String] {
        var left: [String] = []
        for _ in 0..<3 {
            for burrow in burrows {
                _ = try? await podman.remove(burrow.container)
                for container in (try? await podman.listContainers(label: "io.burrow.id=\(burrow.id)")) ?? [] {
                    _ = try? await podman.remove(container.id)
                }
            }
            if let instanceLabel {
                for container in (try? await podman.listContainers(label: instanceLabel)) ?? [] { _ = try? await podman.remove(container.id) }
            }
            for volume in burrows.flatMap(\.volumes) { _ = try? await podman.removeVolume(volume, force: true) }
            if let instanceLabel {
                for volume in (try? await podman.listVolumes(label: instanceLabel)) ?? [] { _ = try? await podman.removeVolume(volume.name, force: true) }
            }
            left = []
            for burrow in burrows {
                left += ((try? await podman.listContainers(label: "io.burrow.id=\(burrow.id)")) ?? []).map(describe)
                for volume in burrow.volumes where (try? await podman.volumeExists(volume)) == true { left.append("volume \(volume)") }
            }
            if let instanceLabel { left += await labelled(instanceLabel, podman: podman) }
            if left.isEmpty { return [] }
        }
        return Array(Set(left)).sorted()
    }

    /// The containers and volumes that carry `label`.
    static func labelled(_ label: String, podman: PodmanClient) async -> [String] {
        ((try? await podman.listContainers(label: label)) ?? []).map(describe)
            + ((try? await podman.listVolumes(label: label)) ?? []).map { "volume \($0.name)" }
    }

    static func report(_ left: [String]) {
        if !left.isEmpty { print("test clean-up: left in the test Podman: " + left.joined(separator: ", ")) }
    }

    private static func describe(_ container: ContainerSummary) -> String { "container \(container.names.first ?? container.id) (\(container.state))" }
}
