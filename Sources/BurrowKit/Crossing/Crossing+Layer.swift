import FoundationEssentials
import BurrowSystem
import BurrowPodman

extension Crossing {
    /// Where Podman keeps its storage, as its `info` says (asked once per runner at the first launch).
    struct PodmanStorage: Sendable, Equatable {
        let graphRoot: String
        let driver: String
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
    func claimLayer(_ burrow: Burrow) async -> Bool {
        guard let upper = await workspaceLayer(burrow) else { return false }
        return FileSystem.setModeOfEmptyDirectory(upper, 0o777)
    }

    /// 64 lowercase hex digits, as Podman's storage names its containers and layers.
    private static func isStorageID(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}
