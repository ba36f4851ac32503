import BurrowSystem
import BurrowPodman

/// One build per image tag at a time in this process: launches that need the same devcontainer image
/// while it is being built wait for that build instead of starting their own.
actor DevcontainerBuilds {
    static let shared = DevcontainerBuilds()

    /// The builds under way, owned here until they end; cancelled when the launch that started one is.
    private var running: [String: Task<String, any Error>] = [:]

    /// Runs `build` for `tag`, or waits for the one already running. Returns the image id and whether
    /// this call joined another's build.
    func run(_ tag: String, _ build: @escaping @Sendable () async throws -> String) async throws -> (id: String, joined: Bool) {
        if let task = running[tag] { return (try await task.value, true) }
        let task = Task { try await build() }
        running[tag] = task
        defer { running[tag] = nil }
        let id = try await withTaskCancellationHandler { try await task.value } onCancel: { task.cancel() }
        return (id, false)
    }
}
