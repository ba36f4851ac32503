import BurrowSystem
import BurrowHTTP
import BurrowPodman
import BurrowKit
import BurrowWeb

/// `burrow gc [--dry-run]`: lists the containers and volumes with Burrow's labels that no record
/// owns, then removes them (not with --dry-run). Shared caches are kept.
public enum GCCommand {
    public static func run(configPath: String?, dryRun: Bool) async -> Bool {
        do {
            let (config, _) = try ConfigLoader.load(explicit: configPath)
            let podman = try await PodmanClient.connect(configured: config.podmanSocket)
            let report = try await Orphans.find(podman: podman, owners: Orphans.owners(stateDir: config.resolvedStateDir), stateDir: config.resolvedStateDir)
            if report.otherInstances > 0 {
                Console.out("leaving alone \(report.otherInstances) containers/volumes of other Burrow instances (or from before instance labels)")
            }
            if report.isEmpty {
                Console.out("nothing to collect: every container and volume of this instance (\(report.instance)) belongs to a burrow record")
                return true
            }
            for line in report.lines { Console.out((dryRun ? "would remove " : "removing ") + line) }
            if !dryRun {
                try await Orphans.remove(report, podman: podman)
                Console.out("removed \(report.containers.count) containers and \(report.volumes.count) volumes")
            }
            return true
        } catch {
            Console.error("burrow gc: \(error)")
            return false
        }
    }
}
