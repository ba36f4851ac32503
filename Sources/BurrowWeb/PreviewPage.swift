import BurrowHTTP

/// The short HTML pages Burrow answers on a preview origin itself (not signed in, burrow stopped,
/// no such port): a person opened a tab, so the answer is a page, not JSON, and never a hang.
enum PreviewPage {
    static func response(_ status: HTTPStatus, _ text: String) -> HTTPResponse {
        let escaped = text.replacing("&", with: "&amp;").replacing("<", with: "&lt;").replacing(">", with: "&gt;")
        let page = """
        <!doctype html><html><head><meta charset="utf-8"><title>Burrow preview: \(status.code)</title></head>
        <body style="font-family: system-ui, sans-serif; max-width: 40em; margin: 4em auto">
        <h1>Burrow preview</h1><p>\(escaped)</p></body></html>
        """
        var response = HTTPResponse.bytes(Array(page.utf8), contentType: "text/html; charset=utf-8", status: status)
        response.headers["Cache-Control"] = "no-store"
        return response
    }
}
