import BurrowPodman

extension BurrowManager {
    /// A probe of an image's agent user (`ImageFacts.probe`) lives for one lookup: one of this
    /// instance still there at start was left by a Burrow killed in the middle of it. Another
    /// instance's on the same Podman may be in use and stays.
    func removeStaleProbes() async {
        guard let instance = try? instanceLabels() else { return }
        for probe in (try? await localPodman.listContainers(label: "io.burrow.role=probe")) ?? []
        where instance.allSatisfy({ probe.labels?[$0.key] == $0.value }) {
            try? await localPodman.remove(probe.id)
        }
    }
}
