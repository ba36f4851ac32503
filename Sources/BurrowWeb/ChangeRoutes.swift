import BurrowKit
import BurrowSystem
import BurrowHTTP

/// The files a burrow changed (live while it runs, then the result's) and each turn's own patch.
extension Router {
    mutating func addChanges(_ manager: BurrowManager) {
        get("/api/burrows/{id}/changes") { request in
            let id = request.parameter("id") ?? ""
            guard let changes = try await manager.storedChanges(id) else {
                throw HTTPError(.notFound, "burrow \(id) has no changes counted yet", detail: "they are counted every few seconds while the agent runs")
            }
            return .json(changes)
        }
        get("/api/burrows/{id}/turns/{turn}/diff") { request in
            let id = request.parameter("id") ?? ""
            guard let turn = Int(request.parameter("turn") ?? ""), turn >= 1, turn <= 100_000 else {
                throw HTTPError(.badRequest, "a turn is a number from 1")
            }
            guard let patch = try await manager.turnPatch(id, turn: turn) else {
                throw HTTPError(.notFound, "burrow \(id) has no diff for turn \(turn)", detail: "a turn's diff is made when it finishes")
            }
            var response = HTTPResponse.bytes(patch, contentType: "text/x-diff; charset=utf-8")
            if request.queryValue("download") != nil {
                response.headers["Content-Disposition"] = "attachment; filename=\"burrow-\(id)-turn-\(turn).patch\""
            }
            return response
        }
    }
}
