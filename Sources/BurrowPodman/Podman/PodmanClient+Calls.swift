import FoundationEssentials
import BurrowSystem
import BurrowHTTP

/// The plumbing under every typed operation: the gate, the deadline, and Podman's answers as errors.
extension PodmanClient {
    func call(_ method: HTTPMethod, _ path: String, operation: String, body: ClientRequest.Body = .none,
                      expect: Set<Int>, timeout: Duration? = PodmanClient.defaultTimeout) async throws -> ClientResponse {
        let request = ClientRequest(method, prefix.withLock { $0 } + path, body: body)
        let http = self.http, gate = self.gate
        let response: ClientResponse
        do {
            if let timeout {
                // Bounded calls wait for a place at the gate, within their deadline; unbounded ones
                // (uploads, imports) are long by nature and counted apart, like streams.
                let sent = Locked(false)
                do {
                    response = try await withDeadline(timeout, operation: "Podman \(operation)") {
                        try await gate.enter()
                        defer { gate.leave() }
                        sent.withLock { $0 = true }
                        return try await http.send(request)
                    }
                } catch is DeadlineExceeded {
                    if sent.withLock({ $0 }) { gate.unanswered() }
                    throw PodmanError.notAnswering(operation: operation, waited: "\(timeout)",
                                                   since: gate.notAnsweringSince.map(PodmanGate.clockTime))
                }
            } else {
                response = try await http.send(request)
            }
        } catch let error as HTTPClientError {
            throw translate(error, operation: operation)
        }
        gate.answered()
        guard expect.contains(response.status) else { throw apiError(operation, response.status, response.body) }
        return response
    }

    /// `headDeadline`: how long Podman may take to start answering a stream with no request body
    /// (nil for attach, which Podman answers only once the container runs; an uploaded body is never cut).
    func openStream(_ method: HTTPMethod, _ path: String, operation: String, body: ClientRequest.Body = .none,
                    headDeadline: Duration? = PodmanClient.defaultTimeout) async throws -> ResponseStream {
        let stream: ResponseStream
        let request = ClientRequest(method, prefix.withLock { $0 } + path, body: body), http = self.http
        do {
            if case .none = body, let headDeadline {
                do {
                    stream = try await withDeadline(headDeadline, operation: "Podman \(operation)") { try await http.open(request) }
                } catch is DeadlineExceeded {
                    gate.unanswered()
                    throw PodmanError.notAnswering(operation: operation, waited: "\(headDeadline)",
                                                   since: gate.notAnsweringSince.map(PodmanGate.clockTime))
                }
            } else {
                stream = try await http.open(request)
            }
        } catch let error as HTTPClientError {
            throw translate(error, operation: operation)
        }
        gate.answered()
        guard stream.status == 200 else {
            let body = (try? await stream.collect(limit: 1 << 20)) ?? []
            throw apiError(operation, stream.status, body)
        }
        return stream
    }

    func translate(_ error: HTTPClientError, operation: String) -> PodmanError {
        if let runner, case .connect(_, let system) = error { return .runnerUnreachable(runner: runner, reason: system.description) }
        return PodmanError(error, operation: operation, socket: socketPath)
    }

    func apiError(_ operation: String, _ status: Int, _ body: [UInt8]) -> PodmanError {
        let decoded = try? JSONDecoder().decode(PodmanErrorBody.self, from: Data(body))
        let message = decoded?.message ?? String(decoding: body.prefix(500), as: UTF8.self)
        // A container removed while Podman works on it comes back as a 500 saying so.
        if status == 404 || message.contains("no such container") { return .notFound(operation: operation, message: message) }
        return .api(operation: operation, status: status, cause: decoded?.cause ?? "", message: message)
    }

    func decode<T: Decodable>(_ type: T.Type, _ response: ClientResponse, _ operation: String) async throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(response.body))
        } catch {
            throw PodmanError.malformedResponse(operation: operation, reason: JSONErrorText.describe(error))
        }
    }

    /// Returns at once while Podman answers; while it is known not to (`gate`), asks it once more,
    /// past the gate, for at most `patience`, and throws `notAnswering` with since when if it still does not.
    public func checkAnswering(within patience: Duration = .seconds(3)) async throws {
        guard let since = gate.notAnsweringSince else { return }
        let http = self.http, request = ClientRequest("GET", prefix.withLock { $0 } + "/_ping")
        do {
            _ = try await withDeadline(patience, operation: "Podman ping") { try await http.send(request) }
            gate.answered()
        } catch is DeadlineExceeded {
            throw PodmanError.notAnswering(operation: "ping", waited: "\(patience)", since: PodmanGate.clockTime(since))
        } catch let error as HTTPClientError {
            throw translate(error, operation: "ping")
        }
    }
}
