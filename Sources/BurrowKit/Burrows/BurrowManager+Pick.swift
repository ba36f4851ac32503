import FoundationEssentials
import BurrowSystem
import BurrowPodman

/// Pick: one attempt of a group becomes the result (its branch `burrow/<id>`, pushed when asked, as
/// any burrow's); the others may be torn down with their branches.
extension BurrowManager {
    public struct PickOutcome: Encodable, Sendable {
        public let group: AttemptGroup
        /// Attempts torn down (their branches deleted), and those left with the reason.
        public let tornDown: [String]
        public let left: [String: String]
    }

    public func pick(group id: String, attempt chosen: String, teardownOthers: Bool, push: Bool = false) async throws -> PickOutcome {
        guard let group = group(id) else { throw BurrowError.invalid("no group \(id)", detail: "GET /api/groups lists the groups") }
        guard group.attempts.contains(where: { $0.id == chosen }) else {
            throw BurrowError.invalid("burrow \(chosen) is not an attempt of group \(id)",
                                      detail: "its attempts: \(group.attempts.map(\.id).joined(separator: ", "))")
        }
        let record = try record(chosen)
        guard record.state.isFinal, record.queuedMessages.isEmpty else {
            throw BurrowError.conflict("attempt \(chosen) is \(record.state.rawValue)", detail: "pick it once its turn ends")
        }
        guard let head = record.resultHead, head != record.baseCommit, record.branch != nil, record.deletedBranch == nil else {
            throw BurrowError.conflict("attempt \(chosen) changed nothing: there is nothing to pick",
                                       detail: record.deletedBranch != nil ? "its branch was deleted" : "pick an attempt with changes, or send it a follow-up")
        }
        for attempt in group.attempts { try mutate(attempt.id) { $0.picked = attempt.id == chosen ? true : nil } }
        await publish(try self.record(chosen))
        if push { _ = try await pushBranch(chosen) }
        var tornDown: [String] = [], left: [String: String] = [:]
        if teardownOthers {
            for other in group.attempts where other.id != chosen && !other.tornDown {
                guard let current = records[other.id], current.state.isFinal, current.queuedMessages.isEmpty else {
                    _ = try? await stop(other.id)
                    left[other.id] = "still running: stopped; tear it down once it ends"
                    continue
                }
                do {
                    try await teardown(other.id, purge: false, deleteBranch: current.branch != nil && current.deletedBranch == nil)
                    tornDown.append(other.id)
                } catch {
                    left[other.id] = "\(error)"
                }
            }
        }
        guard let picked = self.group(id) else { throw BurrowError.invalid("no group \(id)") }
        return PickOutcome(group: picked, tornDown: tornDown, left: left)
    }
}
