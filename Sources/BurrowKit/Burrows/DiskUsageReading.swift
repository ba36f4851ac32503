import BurrowSystem
import BurrowPodman

/// Reads Podman's `system df` for the disk watch, and keeps one broken volume from blinding it.
/// Podman (4.3 at least) answers 500 for the whole listing when one volume's folder is gone
/// ("lstat …/volumes/NAME/_data: no such file or directory"), so every burrow's `limits.disk` would
/// go unenforced. A broken volume of a Burrow (labelled `io.burrow.*`) holds nothing any more —
/// Podman makes a volume's folder before its entry, so a missing folder is never one being made — and
/// is removed (never with force: one a container still uses is left and named). Anything else is
/// named in the failure, with the command that fixes it.
enum DiskUsageReading {
    struct Failure: Error, Sendable, Equatable {
        let reason: String
    }

    /// At most this many broken volumes are removed per reading.
    static let repairsPerReading = 4

    static func read(_ podman: PodmanClient) async -> Result<PodmanDiskUsage, Failure> {
        var removed: Set<String> = []
        while true {
            do {
                return .success(try await podman.diskUsage())
            } catch let error as PodmanError {
                guard let name = brokenVolume(in: error) else { return .failure(Failure(reason: error.description)) }
                let fix = "Podman's system df fails: volume \(name) has lost its folder; remove it with `podman volume rm \(name)`"
                guard !removed.contains(name), removed.count < repairsPerReading,
                      let labels = try? await podman.inspectVolume(name).labels,
                      labels.keys.contains(where: { $0.hasPrefix("io.burrow.") }) else {
                    return .failure(Failure(reason: fix))
                }
                do {
                    try await podman.removeVolume(name, force: false)
                } catch {
                    return .failure(Failure(reason: fix + " (Burrow could not: \(error))"))
                }
                removed.insert(name)
            } catch {
                return .failure(Failure(reason: "\(error)"))
            }
        }
    }

    /// The volume a failed `system df` names as missing its folder.
    static func brokenVolume(in error: PodmanError) -> String? {
        guard case .api(_, _, _, let message) = error, message.hasSuffix("/_data: no such file or directory"),
              let start = message.ranges(of: "/volumes/").last else { return nil }
        let rest = message[start.upperBound...]
        guard let end = rest.firstIndex(of: "/") else { return nil }
        let name = String(rest[..<end])
        return name.isEmpty ? nil : name
    }
}
