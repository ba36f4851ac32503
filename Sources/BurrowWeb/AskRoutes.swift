import BurrowSystem
import BurrowHTTP
import BurrowKit

/// Requests to unlisted hosts waiting for a person (`network.unlisted: "ask"`), their answers, and
/// the hosts and requests kept per repo by "Always for this repo".
extension Router {
    mutating func addAsks(_ manager: BurrowManager) {
        let kept = manager.alwaysAllowed
        get("/api/burrows/{id}/asks") { request in
            .json(await (try await manager.asks(request.parameter("id") ?? "")).listed())
        }
        post("/api/burrows/{id}/asks/{ask}", maxBodyBytes: 1024) { request in
            struct Answer: Decodable { let answer: String }
            let text = try request.decodeJSON(Answer.self).answer
            guard let answer = AskAnswer(rawValue: text) else {
                throw HTTPError(.badRequest, "unknown answer '\(text.prefix(40))'", detail: "answer one of once, burrow, repo, deny")
            }
            return .json(try await manager.answerAsk(request.parameter("id") ?? "", askID: request.parameter("ask") ?? "", answer: answer))
        }
        get("/api/allowed") { _ in .json(kept.all) }
        delete("/api/repos/{repo}/allowed/{target}") { request in
            try forget(kept, repo: request.parameter("repo") ?? "", entry: request.parameter("target") ?? "")
        }
        // A kept request has slashes in it: it comes as `?entry=`.
        delete("/api/repos/{repo}/allowed") { request in
            try forget(kept, repo: request.parameter("repo") ?? "", entry: request.queryValue("entry") ?? "")
        }
    }
}

private func forget(_ kept: RepoAllowances, repo: String, entry: String) throws -> HTTPResponse {
    guard try kept.remove(repo: repo, target: entry) else {
        throw HTTPError(.notFound, "repo \(repo.prefix(64)) keeps no \(entry.prefix(300))", detail: "GET /api/allowed lists what is kept")
    }
    return HTTPResponse(status: .noContent)
}
