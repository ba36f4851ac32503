@testable import BurrowSystem
@testable import BurrowPodman
@testable import BurrowKit
import XCTest

/// Podman's container events for one Burrow instance, collected from before its launch.
final class HelperEvents: Sendable {
    private let stream: EventStream
    private let seen = Locked<[PodmanEvent]>([])
    private let reading: Task<Void, Never>
    private let stopped = Locked(false)

    init(podman: PodmanClient, stateDir: String) async throws {
        let stream = try await podman.events(label: "\(BurrowLabels.instance)=\(try BurrowInstance.id(stateDir: stateDir))")
        let seen = self.seen
        self.stream = stream
        reading = Task { while let event = try? await stream.next() { seen.withLock { $0.append(event) } } }
    }

    /// The containers named `name` that events were seen for, by id in order of their first event, each
    /// with its actions (the stream is closed). Podman's file-backed event log, when it rotates, streams
    /// again some events it kept and drops others (seen on Podman 5 in CI: `create, init, start` twice
    /// for one container; with a 4 kB log: no `create` at all), so containers are told apart by id,
    /// not by counting `create`s, and a repeat of an event is left out.
    func containers(named name: String) async -> [(id: String, actions: [String])] {
        await stop()
        var distinct = Set<String>(), found: [(id: String, actions: [String])] = []
        for event in seen.withLock({ $0 }) where event.actor?.attributes?["name"] == name {
            let id = event.actor?.id ?? "?"
            guard distinct.insert("\(id) \(event.action) \(event.timeNano ?? 0)").inserted else { continue }
            if let index = found.firstIndex(where: { $0.id == id }) { found[index].actions.append(event.action) }
            else { found.append((id, [event.action])) }
        }
        return found
    }

    /// Ends the collection, once: what is seen by then is all there is.
    private func stop() async {
        guard stopped.withLock({ stopped in defer { stopped = true }; return !stopped }) else { return }
        try? await Task.sleep(for: .milliseconds(500))  // Podman writes its events a moment after the call
        stream.close()
        await reading.value
    }
}
