import Foundation
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The model endpoint's connection to the upstream: one URLSession per endpoint, so that requests
/// reuse its connections (TLS included), and a delegate that never follows a redirect: a 3xx goes
/// back to the agent as it came, and the key never travels to the host it names. No cookies, no
/// cache, no stored credentials.
final class UpstreamSession: Sendable {
    private let session: URLSession
    private let delegate: Delegate

    init() {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 600
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        configuration.urlCredentialStorage = nil
        delegate = Delegate()
        session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: nil)
    }

    deinit { session.invalidateAndCancel() }

    /// Starts one request, its body uploaded from `spooled` when given; its answer arrives through
    /// the returned stream, which keeps the spooled file until it is let go.
    func start(_ request: URLRequest, from spooled: SpooledBody? = nil) -> UpstreamStream {
        let (stream, continuation) = AsyncThrowingStream<UpstreamStream.Piece, any Error>.makeStream()
        let task: URLSessionDataTask = if let spooled { session.uploadTask(with: request, fromFile: spooled.url) } else { session.dataTask(with: request) }
        delegate.register(task.taskIdentifier, continuation)
        task.resume()
        return UpstreamStream(stream: stream, task: task, spooled: spooled)
    }

    final class Delegate: NSObject, URLSessionDataDelegate, Sendable {
        private let streams = Mutex<[Int: AsyncThrowingStream<UpstreamStream.Piece, any Error>.Continuation]>([:])

        func register(_ id: Int, _ continuation: AsyncThrowingStream<UpstreamStream.Piece, any Error>.Continuation) {
            streams.withLock { $0[id] = continuation }
        }

        private func stream(_ task: URLSessionTask) -> AsyncThrowingStream<UpstreamStream.Piece, any Error>.Continuation? {
            streams.withLock { $0[task.taskIdentifier] }
        }

        func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                        newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void) {
            // Nil: not followed; the 3xx itself becomes the response the agent gets.
            completionHandler(nil)
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                        completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void) {
            if let response = response as? HTTPURLResponse { stream(dataTask)?.yield(.head(response)) }
            completionHandler(.allow)
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
            stream(dataTask)?.yield(.data([UInt8](data)))
        }

        func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
            let continuation = streams.withLock { $0.removeValue(forKey: task.taskIdentifier) }
            if let error { continuation?.finish(throwing: error) } else { continuation?.finish() }
        }
    }
}

/// One upstream request's answer as it arrives: the head, then pieces of body, then the end (nil).
final class UpstreamStream: @unchecked Sendable {
    // @unchecked: the iterator is used only by the one task serving the request.
    enum Piece: Sendable {
        case head(HTTPURLResponse)
        case data([UInt8])
    }

    private var iterator: AsyncThrowingStream<Piece, any Error>.AsyncIterator
    private let task: URLSessionDataTask
    private let spooled: SpooledBody?

    init(stream: AsyncThrowingStream<Piece, any Error>, task: URLSessionDataTask, spooled: SpooledBody?) {
        iterator = stream.makeAsyncIterator()
        self.task = task
        self.spooled = spooled
    }

    func next() async throws -> Piece? { try await iterator.next() }

    func cancel() { task.cancel() }
}
