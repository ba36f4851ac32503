import BurrowSystem
import BurrowPodman

/// Reads Podman's `system df` for the disk watch, and keeps one broken volume from blinding it.
/// Podman (4.3 at least) answers 500 for the whole listing when any path it walks is gone
/// ("lstat PATH: no such file or directory"): a volume that lost its folder, or a file deleted while
/// Podman walked a volume — which a box can do on purpose, in a loop, with any path it likes under
/// its own volume. So a volume is removed only when the missing path is exactly its mount point as
/// Podman reports it (a box cannot make that path: it is outside every volume), it is a Burrow's
/// (labelled `io.burrow.*`, or named as a burrow's own volume; its data is already gone — Podman makes a volume's folder before its
/// entry, so a missing folder is never one being made) and no container uses it but Burrow's own
/// that cannot start any more (never with force: one running keeps it).
/// A path that vanished under the walk, or a container or volume removed during it, is read again
/// (twice); what still fails is returned with the path, for the caller to find whose volume it lies in.
enum DiskUsageReading {
    struct Failure: Error, Sendable, Equatable {
        let reason: String
        /// The path Podman found missing, when it said one.
        var path: String? = nil
    }

    /// At most this many broken volumes are removed per reading.
    static let repairsPerReading = 4
    /// Readings after the first when a path vanished under the walk.
    static let rereads = 2

    static func read(_ podman: PodmanClient) async -> Result<PodmanDiskUsage, Failure> {
        var removed: Set<String> = []
        var rereadsLeft = rereads
        while true {
            do {
                return .success(try await podman.diskUsage())
            } catch let error as PodmanError {
                // A container or volume removed between Podman's listing and its look at it (a helper
                // ending): the walk raced, as with a vanished path; read again.
                if error.isNotFound || error.description.contains("no such volume"), rereadsLeft > 0 {
                    rereadsLeft -= 1
                    try? await Task.sleep(for: .milliseconds(100))
                    continue
                }
                guard let path = missingPath(in: error) else { return .failure(Failure(reason: error.description)) }
                if let name = brokenVolume(in: error), !removed.contains(name), removed.count < repairsPerReading,
                   let volume = try? await podman.inspectVolume(name), volume.mountpoint == path {
                    let fix = "Podman's system df fails: volume \(name) has lost its folder; remove it with `podman volume rm \(name)`"
                    // Unlabelled, named as a burrow's: Podman made it again for a container created on it
                    // while it was removed (a container create makes a missing named volume).
                    guard (volume.labels ?? [:]).keys.contains(where: { $0.hasPrefix("io.burrow.") }) || BurrowRecord.ownVolumeBurrow(name) != nil else {
                        return .failure(Failure(reason: fix, path: path))
                    }
                    do {
                        try await remove(name, burrow: volume.labels?["io.burrow.id"] ?? BurrowRecord.ownVolumeBurrow(name), path: path, podman)
                    } catch {
                        return .failure(Failure(reason: fix + " (Burrow could not: \(error))", path: path))
                    }
                    removed.insert(name)
                    continue
                }
                guard rereadsLeft > 0 else {
                    return .failure(Failure(reason: "Podman's system df fails: \(path) vanished while Podman measured it", path: path))
                }
                rereadsLeft -= 1
                try? await Task.sleep(for: .milliseconds(100))
            } catch {
                return .failure(Failure(reason: "\(error)"))
            }
        }
    }

    /// Removes the broken volume (`burrow`: the burrow it belongs to, by label or name); one still
    /// mounted by that burrow's own containers, none running (made on it while it was being removed:
    /// they can never start, their mount is gone), goes with them once Podman still finds its folder
    /// missing (it may have been made again meanwhile). Any other user keeps it; the caller names the fix.
    private static func remove(_ name: String, burrow: String?, path: String, _ podman: PodmanClient) async throws {
        do {
            try await podman.removeVolume(name, force: false)
        } catch PodmanError.api(_, 409, let cause, let message) {
            let users = try await podman.listContainers(usingVolume: name)
            let stopped: Set<String> = ["created", "configured", "exited", "stopped"]
            let refusal = PodmanError.api(operation: "volume remove", status: 409, cause: cause,
                                          message: message + " (used by " + users.map { "\($0.names.first ?? $0.id) (\($0.state))" }.joined(separator: ", ") + ")")
            guard let burrow, !users.isEmpty, users.allSatisfy({ $0.labels?["io.burrow.id"] == burrow && stopped.contains($0.state) }) else { throw refusal }
            do {
                _ = try await podman.diskUsage()
                throw refusal
            } catch let error as PodmanError where missingPath(in: error) == path {}
            for container in users { try await podman.remove(container.id, force: true) }
            try await podman.removeVolume(name, force: false)
        }
    }

    /// The path in "… PATH: no such file or directory".
    static func missingPath(in error: PodmanError) -> String? {
        let suffix = ": no such file or directory"
        guard case .api(_, _, _, let message) = error, message.hasSuffix(suffix) else { return nil }
        let head = message.dropLast(suffix.count)
        // "lstat PATH", also behind what Podman was measuring ("failed to get read/write size of
        // container ID: lstat PATH": a file a running container deleted under the walk).
        if let lstat = head.ranges(of: "lstat /").last {
            return String(head[head.index(lstat.lowerBound, offsetBy: "lstat ".count)...])
        }
        guard let space = head.firstIndex(of: " ") else { return nil }
        let path = String(head[head.index(after: space)...])
        return path.hasPrefix("/") ? path : nil
    }

    /// The volume whose folder a failed `system df` may name as missing: `…/volumes/NAME/_data`
    /// (a candidate only: `read` checks that this is the volume's mount point).
    static func brokenVolume(in error: PodmanError) -> String? {
        guard let path = missingPath(in: error), path.hasSuffix("/_data") else { return nil }
        let parts = path.split(separator: "/")
        guard parts.count >= 3, parts[parts.count - 3] == "volumes" else { return nil }
        return String(parts[parts.count - 2])
    }
}
