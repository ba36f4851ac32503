import BurrowKit
import BurrowSystem
import BurrowHTTP
import BurrowPodman

/// The group API (best of N): a group's attempts compared, follow-ups to one or all, Pick.
extension Router {
    struct GroupMessage: Decodable {
        let text: String
        /// One attempt's burrow id; nil: every attempt not torn down.
        let attempt: String?
        let budget: Budget?
    }

    struct GroupMessageOutcome: Encodable {
        let group: AttemptGroup
        /// Attempts that did not take the message, with the reason.
        let refused: [String: String]
    }

    struct Pick: Decodable {
        let attempt: String
        let teardownOthers: Bool?
        let push: Bool?
    }

    mutating func addGroups(_ manager: BurrowManager) {
        get("/api/groups") { _ in .json(await manager.groups()) }
        get("/api/groups/{id}") { request in .json(try await Self.group(manager, request.parameter("id") ?? "")) }
        post("/api/groups/{id}/messages", maxBodyBytes: 200 * 1024) { request in
            let id = request.parameter("id") ?? ""
            _ = try await Self.group(manager, id)
            let message = try request.decodeJSON(GroupMessage.self)
            let refused = try await manager.sendGroupMessage(id, text: message.text, attempt: message.attempt, budget: message.budget)
            return .json(GroupMessageOutcome(group: try await Self.group(manager, id), refused: refused), status: .accepted)
        }
        post("/api/groups/{id}/pick") { request in
            let id = request.parameter("id") ?? ""
            _ = try await Self.group(manager, id)
            let pick = try request.decodeJSON(Pick.self)
            return .json(try await manager.pick(group: id, attempt: pick.attempt, teardownOthers: pick.teardownOthers ?? false, push: pick.push ?? false))
        }
    }

    private static func group(_ manager: BurrowManager, _ id: String) async throws -> AttemptGroup {
        guard let group = await manager.group(id) else { throw HTTPError(.notFound, "no group \(id)", detail: "GET /api/groups lists the groups") }
        return group
    }
}

extension Router.LaunchRequest {
    var group: BurrowManager.GroupLaunch {
        var group = BurrowManager.GroupLaunch(repo: repo, task: task)
        group.gpu = gpu
        group.budget = budget
        group.base = base
        group.uncommitted = uncommitted ?? false
        group.title = title
        group.runner = runner
        group.groupBudgetUSD = groupBudgetUSD
        group.network = network
        group.credentialServices = credentialServices
        group.nestedContainers = nestedContainers
        return group
    }
}
