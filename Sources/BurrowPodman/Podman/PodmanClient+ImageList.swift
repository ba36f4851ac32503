import BurrowHTTP

extension PodmanClient {
    /// Images carrying `label`. Podman 4.3 fails a whole list (500 "image not known") when an image
    /// is removed while it sizes the list; a template removed at that moment by a gc or a next
    /// range's preparation is no reason to fail: asked again, the list no longer holds it.
    public func listImages(label: String) async throws -> [ImageSummary] {
        let filters = escape("{\"label\":[\"\(label)\"]}")
        var attempt = 1
        while true {
            do {
                return try await decode([ImageSummary].self, try await call("GET", "/images/json?filters=\(filters)", operation: "image list", expect: [200]),
                                        "image list")
            } catch PodmanError.api(_, 500, _, let message) where attempt < 3 && message.contains("image not known") {
                attempt += 1
            }
        }
    }
}
