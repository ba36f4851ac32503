import BurrowHTTP
import BurrowKit

/// `GET /api/burrows/{id}/previews`: the ports a burrow listens on, each with the link that opens it;
/// `GET /api/burrows/{id}/previews/{port}/open`: a redirect to the preview's origin carrying a
/// one-time code, which signs that origin in (the page's "Open :PORT" links here).
extension Router {
    struct PreviewEntry: Encodable {
        let port: Int
        let open: String
    }

    struct PreviewListing: Encodable {
        let ports: [PreviewEntry]
        let unavailable: String?
    }

    public mutating func addPreviews(_ manager: BurrowManager, gateway: PreviewGateway) {
        get("/api/burrows/{id}/previews") { request in
            let id = request.parameter("id") ?? ""
            do {
                let list = try await manager.previews(id)
                return .json(PreviewListing(ports: list.ports.map { PreviewEntry(port: $0.port, open: "/api/burrows/\(id)/previews/\($0.port)/open") },
                                            unavailable: list.unavailable))
            } catch let error as PreviewError {
                throw HTTPError(.notFound, error.description)
            }
        }
        get("/api/burrows/{id}/previews/{port}/open") { request in
            let id = request.parameter("id") ?? ""
            guard let port = Int(request.parameter("port") ?? ""), (1...65535).contains(port) else {
                throw HTTPError(.badRequest, "the port must be a number from 1 to 65535")
            }
            if case .unknownBurrow? = await manager.previewBlocker(id) { throw HTTPError(.notFound, "no burrow \(id)") }
            var response = HTTPResponse.redirect(to: gateway.signInURL(PreviewHost(id: id, port: port)))
            response.headers["Cache-Control"] = "no-store"
            response.headers["Referrer-Policy"] = "no-referrer"
            return response
        }
    }
}
