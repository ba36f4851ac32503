/// Which runner a queued turn goes to: a pure decision over the runners' configuration and load, so
/// its rules are tested without SSH or Podman.
///
/// A turn goes only where it may run (the runner it is pinned to, if any: a burrow's later turns
/// stay where its workspace is; the `gpu` label when it asks for the GPU; the runner's repo list),
/// and among those to the reachable one with a free slot and the lightest load (ties: the order of
/// the configuration, the local runner first). None free: it waits in the queue. None possible: it
/// is refused, with each runner's reason.
enum RunnerSelection {
    struct Candidate: Equatable {
        var name: String
        var labels: Set<String>
        var maxConcurrent: Int
        var repos: [String]?
        var running: Int
        var reachable: Bool
    }

    struct Request: Equatable {
        var repo: String
        var gpu: Bool
        /// The runner asked for at launch, or the one the burrow's workspace is on.
        var pinned: String?
    }

    enum Decision: Equatable {
        case run(String)
        case wait
        case impossible(String)
    }

    /// Why `candidate` can never take `request` (nil: it can, once it has room).
    static func refusal(_ candidate: Candidate, _ request: Request) -> String? {
        if let pinned = request.pinned, pinned != candidate.name { return "not the runner asked for (\(pinned))" }
        if request.gpu && !candidate.labels.contains("gpu") { return "no gpu label" }
        if let repos = candidate.repos, !repos.contains(request.repo) { return "repo \(request.repo) may not run there" }
        return nil
    }

    static func decide(_ request: Request, among candidates: [Candidate]) -> Decision {
        let possible = candidates.filter { refusal($0, request) == nil }
        guard !possible.isEmpty else {
            if let pinned = request.pinned, !candidates.contains(where: { $0.name == pinned }) {
                return .impossible("runner \(pinned) is not configured")
            }
            let reasons = candidates.map { "\($0.name): \(refusal($0, request) ?? "")" }
            return .impossible("no runner may take this burrow (\(reasons.joined(separator: "; ")))")
        }
        let free = possible.enumerated().filter { $0.element.reachable && $0.element.running < $0.element.maxConcurrent }
        let best = free.min { a, b in
            let loadA = Double(a.element.running) / Double(a.element.maxConcurrent)
            let loadB = Double(b.element.running) / Double(b.element.maxConcurrent)
            return loadA != loadB ? loadA < loadB : a.offset < b.offset
        }
        return best.map { .run($0.element.name) } ?? .wait
    }
}
