import Synchronization
import BurrowSystem
import BurrowPodman

/// The labels that say which Burrow owns a container or volume. Several Burrows may share one
/// Podman (another state dir, the test suite, a colleague): each stamps what it creates with its
/// instance, the identity of its state dir, and treats only its own things as its orphans.
public enum BurrowLabels {
    public static let instance = "io.burrow.instance"

    /// `labels` plus the instance of the config's state dir.
    public static func stamped(_ labels: [String: String], config: Config) throws -> [String: String] {
        labels.merging([instance: try BurrowInstance.id(stateDir: config.resolvedStateDir)]) { $1 }
    }
}

/// A state dir's identity: a random id kept in `<stateDir>/instance-id`, made once. A copied or
/// moved state dir keeps it, so its burrows stay its own.
public enum BurrowInstance {
    private static let known = Mutex<[String: String]>([:])

    public static func id(stateDir: String) throws -> String {
        if let id = known.withLock({ $0[stateDir] }) { return id }
        let path = stateDir + "/instance-id"
        if let bytes = try? FileSystem.readFile(path, limit: 256), let id = valid(String(decoding: bytes, as: UTF8.self)) {
            known.withLock { $0[stateDir] = id }
            return id
        }
        try FileSystem.createDirectories(stateDir, mode: 0o700)
        let id = BurrowRecord.newID() + BurrowRecord.newID()
        try FileSystem.writeAtomically(Array((id + "\n").utf8), to: path, mode: 0o600)
        known.withLock { $0[stateDir] = id }
        return id
    }

    /// Drops what this process remembers of `stateDir`'s id, as a restart does (tests).
    package static func forget(stateDir: String) { _ = known.withLock { $0.removeValue(forKey: stateDir) } }

    /// The file ends with a newline (written so, or by an editor): blanks around the id are not part of it.
    private static func valid(_ text: String) -> String? {
        let words = text.split(whereSeparator: \.isWhitespace)
        guard words.count == 1 else { return nil }
        let id = String(words[0])
        return !id.isEmpty && id.count <= 64 && id.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) ? id : nil
    }
}
