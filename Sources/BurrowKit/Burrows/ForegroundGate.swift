import BurrowSystem

/// Where Burrow's own background work (the next id ranges' preparation: Podman's chowned image
/// copy, the template's import) waits while a burrow is in the foreground: starting (its range, its
/// workspace, its container) or bringing its work home. Those are the moments a person waits for,
/// and the disk and the Podman service are what both would compete for; an agent at work is not
/// waited for (a real agent's turn lasts minutes). A step of the background work begins only after
/// the foreground has been quiet for a while, so a launch sent right after another ended finds
/// nothing of Burrow's under way.
final class ForegroundGate: Sendable {
    private let busy = Locked(false)
    private let changed = Wakeup()

    var isBusy: Bool { busy.withLock { $0 } }

    /// Whether some burrow is in the foreground now; wakes the waiters when that changes.
    func set(busy now: Bool) {
        let was = busy.withLock { value in
            defer { value = now }
            return value
        }
        if was != now { changed.wake() }
    }

    /// Returns as soon as no burrow is in the foreground; throws at cancellation.
    func waitUntilIdle() async throws {
        while true {
            try Task.checkCancellation()
            let seen = changed.generation
            guard isBusy else { return }
            try await changed.wait(past: seen)
        }
    }

    /// Returns once no burrow has been in the foreground for `quiet`; throws at cancellation.
    func waitUntilQuiet(for quiet: Duration) async throws {
        while true {
            let seen = changed.generation
            if isBusy {
                try await changed.wait(past: seen)
            } else if try await !changed.wait(past: seen, for: quiet) {
                return
            }
        }
    }
}

extension BurrowManager {
    /// How long no burrow may have been starting or coming home before a background step begins.
    static let quietBeforePreparing: Duration = .seconds(3)

    /// Tells the gates whether a local run is starting or finishing its turn (after each phase change).
    func noteForeground() {
        foreground.set(busy: runs.values.contains { $0.phase == .turnStarting || $0.phase == .finishing })
        launching.set(busy: runs.values.contains { $0.phase == .turnStarting })
    }
}
