import BurrowSystem

/// A turn's way-home helper is started while its agent works, so that the way home is one `exec` in
/// it (`HelperContainer.runStarted`) rather than a container's whole life: the agent's exit is when a
/// person waits, and four attempts ending together made Podman start four containers at once.
extension BurrowManager {
    /// Once the agent has printed its first line: the helper starts when no launch is starting its
    /// container (which it would slow), at most once per turn; the turn's end takes it.
    func prepareHomeHelper(_ id: String) {
        guard !homeHelpers.isFull(for: id), let run = runs[id], run.phase == .running, let record = records[id], let user = record.user,
              let burrow = try? crossingBurrow(record, user: user) else { return }
        let launching = self.launching, crossing = run.crossing
        homeHelpers.prepare(id) {
            do {
                try await launching.waitUntilIdle()
            } catch {
                return false  // the turn ended first: its way home makes its own helper
            }
            // Not cancelled halfway: a helper is either up (and the turn's end uses or removes it) or not made.
            return await withUncancelledTask { (try? await crossing.startHomeHelper(burrow)) != nil }
        }
    }
}
