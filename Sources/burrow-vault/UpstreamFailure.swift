import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Why the upstream could not be asked, as one line a person reads: what happened in words, then
/// the transport's own detail, not Foundation's error dump (domain, user info, the same error again
/// as the underlying one, the URL twice). The agent, the burrow's net event and doctor all show it.
enum UpstreamFailure {
    static func reason(_ error: any Error) -> String {
        let error = error as NSError
        guard error.domain == NSURLErrorDomain else { return oneLine("\(error)") }
        let what = names[error.code] ?? "the request failed (URL error \(error.code))"
        guard let detail = error.userInfo[NSLocalizedDescriptionKey] as? String, !detail.isEmpty, detail != "(null)" else { return what }
        return "\(what) (\(oneLine(detail)))"
    }

    static let names: [Int: String] = [
        NSURLErrorTimedOut: "no answer in time",
        NSURLErrorCannotFindHost: "the host name does not resolve",
        NSURLErrorDNSLookupFailed: "the host name does not resolve",
        NSURLErrorCannotConnectToHost: "could not connect",
        NSURLErrorNetworkConnectionLost: "the connection was lost",
        NSURLErrorNotConnectedToInternet: "no network",
        NSURLErrorSecureConnectionFailed: "the TLS connection failed",
        NSURLErrorServerCertificateUntrusted: "the server's certificate is not trusted",
        NSURLErrorServerCertificateHasBadDate: "the server's certificate is expired or not yet valid",
        NSURLErrorServerCertificateHasUnknownRoot: "the server's certificate is not trusted",
        NSURLErrorBadServerResponse: "the server's answer was not HTTP",
        NSURLErrorCancelled: "the request was cancelled",
    ]

    static func oneLine(_ text: String) -> String {
        String(text.map { $0.isNewline ? " " : $0 }.prefix(400))
    }
}
