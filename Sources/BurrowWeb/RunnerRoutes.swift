import BurrowKit
import BurrowSystem
import BurrowHTTP
import BurrowPodman

/// The runners, for the launch form's choice and the page: name, labels, load, reachable.
extension Router {
    public mutating func addRunners(_ manager: BurrowManager) {
        get("/api/runners") { _ in .json(await manager.runnerStates()) }
    }
}
