import BurrowSystem
import BurrowPodman
import BurrowKit

/// `burrow doctor`'s look at Podman's storage driver: with `vfs` every container is a full copy of
/// its image (no layers shared), so each burrow's "Preparing the container" copies the whole agent
/// image (64–81 s and about 2 GB each, 13 GB after 7 burrows, on the machine of issue #27).
public enum DoctorStorageCheck {
    public static func findings(_ info: PodmanInfo, podmanUser: String) -> [DoctorFinding] {
        guard let driver = info.store?.graphDriverName else {
            return [DoctorFinding(.warn, "storage", "Podman did not name its storage driver")]
        }
        guard driver == "vfs" else {
            return [DoctorFinding(.ok, "storage", "\(driver)\(info.store?.graphRoot.map { " in \($0)" } ?? "")")]
        }
        return [DoctorFinding(.warn, "storage", "vfs: Podman copies the whole image for every container, so each burrow spends about a minute "
                                + "in \"Preparing the container\" and gigabytes of disk (overlay shares the image's layers: seconds, megabytes)",
                              fix: "as \(podmanUser): put [storage] driver = \"overlay\" in ~/.config/containers/storage.conf (kernel 5.13+ mounts it natively; "
                                + "older kernels need fuse-overlayfs: sudo apt-get install fuse-overlayfs), then podman system reset. "
                                + "Cost: the reset deletes that user's images, containers and volumes (stop Burrow first; its burrows are lost), "
                                + "and the agent image must be built again: burrow image build, about 2 minutes")]
    }
}
