import BurrowSystem
import BurrowHTTP
import BurrowPodman
import BurrowKit

/// The burrow API: launch, list, watch, stop, diff, tear down.
extension Router {
    struct LaunchRequest: Decodable {
        let repo: String
        let task: String
        let gpu: Bool?
        let budget: Budget?
        /// A branch, tag or commit to start from; `uncommitted`: the user's uncommitted changes on top.
        let base: String?
        let uncommitted: Bool?
        let title: String?
        /// Where it must run (nil: Burrow picks).
        let runner: String?
        /// `unlisted` and `askSeconds` for this burrow only.
        let network: AskOverride?
        /// Names of `credentials.services` this burrow gets, a subset of the repo's.
        let credentialServices: [String]?
        /// Containers inside this burrow (`sandbox.nestedContainers`): off, or on where the config allows.
        let nestedContainers: Bool?
        /// Best of N: a count or a list of attempts (the answer is then the group), and their budget.
        let attempts: AttemptsRequest?
        let groupBudgetUSD: Double?
    }

    public mutating func addBurrows(_ manager: BurrowManager) {
        post("/api/burrows", maxBodyBytes: 200 * 1024) { request in
            let launch = try request.decodeJSON(LaunchRequest.self)
            if launch.groupBudgetUSD != nil, launch.attempts == nil {
                throw HTTPError(.badRequest, "groupBudgetUSD is for a group", detail: "add \"attempts\": N, or give \"budget\" for one burrow")
            }
            if let attempts = launch.attempts { return .json(try await manager.launchGroup(launch.group, attempts: attempts.attempts), status: .created) }
            return .json(try await manager.launch(repo: launch.repo, task: launch.task, gpu: launch.gpu, budget: launch.budget,
                                                  base: launch.base, uncommitted: launch.uncommitted ?? false, title: launch.title,
                                                  runner: launch.runner, asking: launch.network,
                                                  credentialServices: launch.credentialServices,
                                                  nestedContainers: launch.nestedContainers), status: .created)
        }
        get("/api/burrows") { _ in .json(await manager.list()) }
        get("/api/burrows/{id}") { request in .json(try await manager.record(request.parameter("id") ?? "")) }
        get("/api/burrows/{id}/events") { request in
            let events = try await manager.events(request.parameter("id") ?? "")
            return .eventStream(await events.subscribe(after: request.lastEventID))
        }
        // The whole event log, one JSON object per line, streamed from the file as the socket takes
        // it (never held whole): a page opening a long history parses it, then follows live with
        // `/events?after=N`.
        get("/api/burrows/{id}/history") { request in
            let events = try await manager.events(request.parameter("id") ?? "")
            return .streamed(await events.history(), contentType: "application/x-ndjson")
        }
        // Every egress decision and model call of the burrow, one JSON object per line, streamed from
        // its file; kept after teardown with the record.
        get("/api/burrows/{id}/audit") { request in
            let id = request.parameter("id") ?? ""
            var response = try await manager.audit(id).map { HTTPResponse.streamed($0, contentType: "application/x-ndjson") }
                ?? .bytes([], contentType: "application/x-ndjson")
            if request.queryValue("download") != nil {
                response.headers["Content-Disposition"] = "attachment; filename=\"burrow-\(id)-audit.ndjson\""
            }
            return response
        }
        get("/api/burrows/{id}/diff") { request in
            let id = request.parameter("id") ?? ""
            guard let patch = try await manager.patch(id) else {
                throw HTTPError(.notFound, "burrow \(id) has no diff yet", detail: "the diff is made when the agent finishes")
            }
            var response = HTTPResponse.bytes(patch, contentType: "text/x-diff; charset=utf-8")
            if request.queryValue("download") != nil {
                response.headers["Content-Disposition"] = "attachment; filename=\"burrow-\(id).patch\""
            }
            return response
        }
        get("/api/orphans") { _ in
            do {
                return .json(try await manager.orphans())
            } catch let error as PodmanError {
                throw HTTPError(.serviceUnavailable, "cannot list Burrow's containers", detail: error.description)
            }
        }
        post("/api/burrows/{id}/messages") { request in
            struct Message: Decodable { let text: String; let budget: Budget? }
            let message = try request.decodeJSON(Message.self)
            return .json(try await manager.sendMessage(request.parameter("id") ?? "", text: message.text, budget: message.budget), status: .accepted)
        }
        post("/api/burrows/{id}/stop") { request in .json(try await manager.stop(request.parameter("id") ?? "")) }
        delete("/api/burrows/{id}") { request in
            try await manager.teardown(request.parameter("id") ?? "", purge: request.queryValue("purge") == "true",
                                       deleteBranch: request.queryValue("deleteBranch") == "true")
            return HTTPResponse(status: .noContent)
        }
        get("/api/events") { request in .eventStream(await manager.changes.subscribe(after: request.lastEventID)) }
        addRepos(manager)
        addBranches(manager)
        addGroups(manager)
        addRunners(manager)
        addChanges(manager)
        addAsks(manager)
        addShell(manager)
    }
}
