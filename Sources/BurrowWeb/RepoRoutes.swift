import BurrowKit
import BurrowHTTP

/// The repositories burrows start from: the config file's, and those added or removed from the page.
extension Router {
    struct RepoSummary: Encodable {
        let name: String
        let source: String
        let ref: String?
        let gpu: Bool
        let image: String
        /// A local repository (its uncommitted changes can be taken along).
        let local: Bool
        /// "config" (edit the config file) or "page" (removable from the page).
        let origin: String
    }

    struct AddRepo: Decodable {
        let name: String?
        let path: String?
        let url: String?
        let ref: String?
    }

    mutating func addRepos(_ manager: BurrowManager) {
        let image = manager.config.image
        @Sendable func summary(_ entry: BurrowManager.RepoEntry) -> RepoSummary {
            let repo = entry.repo
            return RepoSummary(name: repo.name, source: repo.path ?? repo.url ?? "", ref: repo.ref, gpu: repo.gpu ?? false,
                               image: repo.image ?? image, local: repo.path != nil, origin: entry.origin)
        }
        get("/api/repos") { _ in .json(manager.allRepos.map(summary)) }
        post("/api/repos", maxBodyBytes: 8192) { request in
            let body = try request.decodeJSON(AddRepo.self)
            var repo = RepoConfig(name: body.name ?? "", path: body.path, url: body.url)
            repo.ref = body.ref
            let added = try await manager.addRepo(repo)
            return .json(summary(.init(repo: added, origin: "page")), status: .created)
        }
        delete("/api/repos/{name}") { request in
            try await manager.removeRepo(request.parameter("name") ?? "")
            return HTTPResponse(status: .noContent)
        }
    }
}
