import FoundationEssentials
import BurrowSystem
import BurrowPodman

extension Crossing {
    /// Where Podman keeps its storage, as its `info` says (asked once per runner at the first launch).
    struct PodmanStorage: Sendable, Equatable {
        let graphRoot: String
        let driver: String
        /// Whether Podman leaves a volume over an image as it is when a container first mounts it
        /// (4.5 on). Podman 4.3 and 4.4 chown its root to that container's user then, and give it the
        /// mode and owner of the image's own folder at the mount point: a claim on the host would be
        /// undone by the agent's container, where the claim helper, mounting first, used that step up.
        var leavesImageVolumeRoots = false

        static func leavesImageVolumeRoots(_ version: String?) -> Bool {
            let parts = (version ?? "").split(separator: ".").prefix(2).map { Int($0) ?? 0 }
            guard parts.count == 2 else { return false }
            return parts[0] > 4 || (parts[0] == 4 && parts[1] >= 5)
        }
    }

    /// A container of Podman's storage as `overlay-containers/containers.json` lists it.
    private struct StorageContainer: Decodable {
        let id: String
        let layer: String
    }

    /// The host folder of the workspace volume's own layer. A volume over an image is a container of
    /// Podman's storage (the volume's `StorageID`) whose layer the overlay writes to:
    /// `GRAPHROOT/overlay/LAYER/diff`, found in the storage's container list. (Podman's inspect of the
    /// agent's container gives no source for such a volume in a container with its own id mapping.)
    /// The harvest reads it, read-only in the sandbox, to know what the turn wrote instead of walking
    /// every file, and takes it only where the kernel confirms it is the workspace's upper directory.
    /// nil where there is none this host sees: a filled volume, another storage driver, a remote
    /// runner's storage, storage this user may not read.
    func workspaceLayer(_ burrow: Burrow) async -> String? {
        guard readsWorkspaceLayers, let storage = burrow.storage, storage.driver == "overlay",
              let volume = try? await podman.inspectVolume(burrow.workspaceVolume), volume.driver == "image",
              let id = volume.storageID, Self.isStorageID(id),
              let bytes = try? FileSystem.readFile(storage.graphRoot + "/overlay-containers/containers.json", limit: 32 << 20),
              let containers = try? JSONCoding.decoder.decode([StorageContainer].self, from: Data(bytes)),
              let layer = containers.first(where: { $0.id == id })?.layer, Self.isStorageID(layer) else { return nil }
        let upper = storage.graphRoot + "/overlay/" + layer + "/diff"
        return FileSystem.status(upper)?.isDirectory == true ? upper : nil
    }

    /// Claims a workspace volume just made over a template without a helper's container: its own
    /// layer, still empty (nothing has mounted the volume), is the root the overlay shows, so its mode
    /// made 0777 here is what the helper's `chmod` would leave in it. false where there is no such layer
    /// on this host (a remote runner's, another storage driver) or it is not empty or not ours to change.
    /// Only a layer owned by the Podman user (its socket's owner) is changed: Podman's answers name
    /// the folder, and a Burrow running as another user must not change for it what it could not.
    /// Not where the storage keeps modes in an attribute (`force_mask`: the box would not see it).
    func claimLayer(_ burrow: Burrow) async -> Bool {
        guard burrow.storage?.leavesImageVolumeRoots == true, let podmanUser = FileSystem.status(podman.socketPath)?.owner,
              let upper = await workspaceLayer(burrow) else { return false }
        return FileSystem.setModeOfEmptyDirectory(upper, 0o777, owner: podmanUser, unlessAttribute: "user.containers.override_stat")
    }

    /// 64 lowercase hex digits, as Podman's storage names its containers and layers.
    private static func isStorageID(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}
