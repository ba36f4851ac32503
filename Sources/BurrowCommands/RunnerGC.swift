import BurrowWeb
import BurrowKit
import BurrowSystem
import BurrowHTTP
import BurrowPodman

/// `burrow gc` on each remote runner: the same rule as locally (only this instance's things that no
/// record owns), through the runner's own SSH connection, made for the occasion in a private folder.
package enum RunnerGC {
    static func run(_ config: Config, dryRun: Bool, timeout: Duration = .seconds(20)) async -> Bool {
        var succeeded = true
        for runner in config.allRunners where !runner.isLocal {
            let prefix = "runner \(runner.name): "
            guard let folder = try? FileSystem.makeTemporaryDirectory("burrow-gc-runner") else { return false }
            defer { FileSystem.removeTree(folder) }
            do {
                let made = try Runner(remote: runner, stateDir: folder, labels: [:])
                made.start()
                do {
                    try await made.remote?.tunnel.waitConnected(timeout: timeout)
                    let stateDir = config.resolvedStateDir
                    let report = try await Orphans.find(podman: made.podman, owners: Orphans.owners(stateDir: stateDir), stateDir: stateDir,
                                                        templates: stateDir + "/runners/" + runner.name)
                    if report.isEmpty { Console.out(prefix + "nothing to collect") }
                    for line in report.lines { Console.out(prefix + (dryRun ? "would remove " : "removing ") + line) }
                    if !dryRun && !report.isEmpty { try await Orphans.remove(report, podman: made.podman) }
                } catch {
                    Console.error("burrow gc: " + prefix + "\(error)")
                    succeeded = false
                }
                await made.remote?.tunnel.shutdown()
            } catch {
                Console.error("burrow gc: " + prefix + "\(error)")
                succeeded = false
            }
        }
        return succeeded
    }
}
