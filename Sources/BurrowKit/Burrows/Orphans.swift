import FoundationEssentials
import BurrowSystem
import BurrowPodman

/// Containers and volumes of this Burrow instance that no record owns any more: left by a crash
/// between steps, by a record purged while Podman was away, or by hand. Only things stamped with
/// this state dir's instance (`io.burrow.instance`) can be orphans: another Burrow's burrows on the
/// same Podman, running or not, are never listed, nor are unstamped ones made before instances
/// existed (counted in `otherInstances`, for a person to look at). Shared caches are never orphans.
/// Found from the state dir's records and Podman's labels alone, so `burrow doctor` and `burrow gc`
/// can ask without a running Burrow.
public struct OrphanReport: Codable, Sendable, Equatable {
    public struct Item: Codable, Sendable, Equatable {
        public let name: String
        public let burrow: String
        /// Containers: Podman's state (`running`, `exited`, …).
        public var state: String?
        /// The remote runner it is on (nil: the local Podman).
        public var runner: String?
    }

    public var instance: String = ""
    public var containers: [Item] = []
    public var volumes: [Item] = []
    /// Workspace templates of this instance that no repo starts from any more (removed only when no
    /// burrow's workspace still rests on them).
    public var images: [String] = []
    /// Burrow-labelled containers and volumes that belong to another instance or to none: left alone.
    public var otherInstances = 0
    /// Remote runners that could not be asked (not connected, or their Podman did not answer).
    public var unaskedRunners: [String]?
    public var isEmpty: Bool { containers.isEmpty && volumes.isEmpty && images.isEmpty }

    /// One line per item, for the terminal.
    public var lines: [String] {
        containers.map { "container \($0.name) (burrow \($0.burrow)\($0.state.map { ", \($0)" } ?? ""))" }
            + volumes.map { "volume \($0.name) (burrow \($0.burrow))" } + images.map { "image \($0) (an old workspace template)" }
    }
}

public enum Orphans {
    /// Ids of the burrows whose records still own their container and volumes (not torn down).
    public static func owners(stateDir: String) -> Set<String> {
        let directory = stateDir + "/burrows"
        return Set(FileSystem.listDirectory(directory).filter { id in
            guard let bytes = try? FileSystem.readFile(directory + "/" + id + "/record.json"),
                  let record = try? JSONCoding.decoder.decode(BurrowRecord.self, from: Data(bytes)) else {
                // Unreadable: not proof of anything; keep what may be its.
                return FileSystem.exists(directory + "/" + id)
            }
            return !record.tornDown
        })
    }

    /// The orphans of the instance of `stateDir`, whose records are `owners`. `templates`: the folder
    /// whose template records name the current workspace templates (a remote runner has its own).
    public static func find(podman: PodmanClient, owners: Set<String>, stateDir: String, templates: String? = nil) async throws -> OrphanReport {
        let instance = try BurrowInstance.id(stateDir: stateDir)
        var report = OrphanReport(instance: instance)
        for container in try await podman.listContainers(label: "io.burrow.id") {
            guard let id = container.labels?["io.burrow.id"] else { continue }
            guard container.labels?[BurrowLabels.instance] == instance else {
                report.otherInstances += 1
                continue
            }
            guard !owners.contains(id) else { continue }
            report.containers.append(.init(name: container.names.first ?? container.id, burrow: id, state: container.state))
        }
        for volume in try await podman.listVolumes(label: "io.burrow.id") {
            guard let id = volume.labels?["io.burrow.id"] else { continue }
            guard volume.labels?[BurrowLabels.instance] == instance else {
                report.otherInstances += 1
                continue
            }
            guard !owners.contains(id) else { continue }
            report.volumes.append(.init(name: volume.name, burrow: id))
        }
        let current = WorkspaceTemplates.currentImages(stateDir: templates ?? stateDir)
        for image in try await podman.listImages(label: "io.burrow.template") where image.labels?[BurrowLabels.instance] == instance {
            let names = image.names ?? []
            if names.isEmpty || names.allSatisfy({ !current.contains($0) }) { report.images.append(names.first ?? image.id) }
        }
        return report
    }

    public static func remove(_ report: OrphanReport, podman: PodmanClient) async throws {
        for container in report.containers { try await podman.remove(container.name) }
        for volume in report.volumes { try await podman.removeVolume(volume.name, force: true) }
        // A template a workspace volume still rests on is refused by Podman: it stays for a later gc.
        for image in report.images { try? await podman.removeImage(image, force: false) }
    }
}
