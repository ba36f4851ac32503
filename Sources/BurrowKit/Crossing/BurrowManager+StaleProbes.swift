import BurrowPodman

extension BurrowManager {
    /// Stamped on this process's probes: the sweep at start leaves them alone (a launch may probe
    /// while `restore` still runs).
    static let probeProcessLabel = "io.burrow.probe-process"
    static let probeProcess = BurrowRecord.newID()

    /// A probe of an image's agent user (`ImageFacts.probe`) lives for one lookup: one of this
    /// instance made by another process was left by a Burrow killed in the middle of it. Another
    /// instance's on the same Podman may be in use and stays. (The local Podman's: a remote runner's
    /// are left to `podman rm` there.)
    func removeStaleProbes() async {
        guard let instance = try? instanceLabels() else { return }
        for probe in (try? await localPodman.listContainers(label: "io.burrow.role=probe")) ?? []
        where instance.allSatisfy({ probe.labels?[$0.key] == $0.value }) && probe.labels?[Self.probeProcessLabel] != Self.probeProcess {
            try? await localPodman.remove(probe.id)
        }
    }
}
