import BurrowKit
import BurrowSystem
import BurrowHTTP
import BurrowPodman

/// The branch API: where a push goes, push, pull request, delete; and renaming a burrow.
extension Router {
    mutating func addBranches(_ manager: BurrowManager) {
        get("/api/burrows/{id}/push") { request in .json(try await manager.pushInfo(request.parameter("id") ?? "")) }
        post("/api/burrows/{id}/push") { request in .json(try await manager.pushBranch(request.parameter("id") ?? "")) }
        post("/api/burrows/{id}/pull-request") { request in .json(try await manager.openPullRequest(request.parameter("id") ?? "")) }
        delete("/api/burrows/{id}/branch") { request in .json(try await manager.deleteBranch(request.parameter("id") ?? "")) }
        post("/api/burrows/{id}/title", maxBodyBytes: 4096) { request in
            struct Rename: Decodable { let title: String? }
            return .json(try await manager.rename(request.parameter("id") ?? "", title: try request.decodeJSON(Rename.self).title))
        }
    }
}
