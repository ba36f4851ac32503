import FoundationEssentials
import BurrowSystem
import BurrowHTTP
import BurrowPodman

/// The answer's way back: from the vault to the agent piece by piece, its `usage` metered on the
/// way, and the request's reservation settled to what was metered when it ends, whole or broken.
extension ModelEndpoint {
    func relay(_ request: ClientRequest, ceiling: Ceiling?, keepAlive: Bool, _ connection: HTTPConnection, _ event: inout NetEvent,
               started: UInt64, _ report: EgressProxy.Report) async throws -> Bool {
        let answer: ResponseStream
        do {
            answer = try await vault.client().open(request)
            if let failure = answer.headers[Self.vaultErrorHeader] {
                answer.close()
                throw ModelVault.Unavailable(description: failure)
            }
        } catch {
            if let ceiling { budget.release(ceiling.hold) }
            event.reason = "\(error)"
            let message = "Burrow's model endpoint cannot reach \(upstream.absoluteString): \(error)"
            try? await connection.send(Self.apiError(message, status: .badGateway, type: "api_error"), keepAlive: keepAlive)
            event.durationMs = Double(Monotonic.now() - started) / 1e6
            await report(event)
            return keepAlive
        }
        defer { answer.close() }
        event.firstByteMs = Double(Monotonic.now() - started) / 1e6
        event.status = answer.status
        var headers = HTTPHeaders()
        for field in answer.headers where !Self.droppedFromResponse.contains(field.name.lowercased()) { headers.add(field.name, field.value) }
        if Self.refusesKey(answer.status) {
            // Retrying cannot help: the agent is told not to, and the burrow is ended with the reason.
            event.keyRefused = true
            event.reason = "the key was refused (\(answer.status))"
            headers["x-should-retry"] = "false"
        }
        var meter = UsageMeter(contentType: answer.headers["Content-Type"])
        // The body follows piece by piece below, counted as it goes; the head says chunked.
        let response = HTTPResponse(status: HTTPStatus(answer.status, HTTPStatus.reason(answer.status)), headers: headers, body: .stream({ _ in }))
        var received = 0
        // The upstream bills the whole answer whether or not the agent stays to read it, so an agent
        // that leaves mid-answer does not end the metering: the rest is read and metered, not sent.
        var agentGone: (any Error)? = nil
        var upstreamBroke: (any Error)? = nil
        do { try await connection.write(response.serializedHead(keepAlive: keepAlive, isHead: false)) } catch { agentGone = error }
        do {
            while let piece = try await answer.next() {
                received += piece.count
                meter.feed(piece)
                guard agentGone == nil else { continue }
                do { try await connection.write(ChunkedEncoder.chunk(piece)) } catch { agentGone = error }
            }
        } catch {
            upstreamBroke = error
        }
        if agentGone == nil, upstreamBroke == nil {
            do { try await connection.write(ChunkedEncoder.end) } catch { agentGone = error }
        }
        meter.finish()
        // An answer that broke after the upstream took the request may have been billed in full: it
        // is charged to the budget at its reservation (at least), as its usage cannot be known.
        await account(&event, meter, ceiling: ceiling, chargeHold: upstreamBroke != nil && answer.status == 200,
                      received: received, started: started, report: report)
        if let error = agentGone ?? upstreamBroke { throw error }
        return keepAlive
    }

    static let vaultErrorHeader = "X-Burrow-Vault-Error"

    /// The upstream's answer to a wrong, revoked or unentitled credential.
    static func refusesKey(_ status: Int) -> Bool { status == 401 || status == 403 }

    /// Prices what the meter read, settles the reservation to it (or releases it: no usage, nothing
    /// spent; or, `chargeHold`, charges at least the reservation) and reports the request. An answer
    /// whose model id the table lacks is priced as the model the request named, which the
    /// reservation already priced.
    private func account(_ event: inout NetEvent, _ meter: UsageMeter, ceiling: Ceiling?, chargeHold: Bool, received: Int, started: UInt64,
                         report: EgressProxy.Report) async {
        event.bytesReceived = received
        event.durationMs = Double(Monotonic.now() - started) / 1e6
        if let usage = meter.usage {
            event.model = meter.model.map { String($0.prefix(100)) }
            event.usage = usage
            event.costUSD = (meter.model.flatMap(prices.price(for:)) ?? ceiling?.price)?.cost(usage)
        }
        if let ceiling, chargeHold {
            budget.settle(ceiling.hold, model: event.model, usage: event.usage ?? TokenUsage(), cost: event.costUSD, atLeastHold: true)
        } else if let usage = event.usage {
            budget.settle(ceiling?.hold, model: event.model, usage: usage, cost: event.costUSD)
        } else if let ceiling {
            budget.release(ceiling.hold)
        }
        await report(event)
    }

    /// A budget refusal is a 429 with `x-should-retry: false`: the real Claude Code then stops at
    /// once (a 400 was retried 5 times), and reads the message.
    static func budgetError(_ message: String) -> HTTPResponse {
        apiError(message, status: HTTPStatus(429, "Too Many Requests"), type: "rate_limit_error")
    }

    /// Too many request bytes in flight: a 429 worth retrying, after a second.
    static func busyError(_ message: String) -> HTTPResponse {
        var response = apiError(message, status: HTTPStatus(429, "Too Many Requests"), type: "rate_limit_error")
        response.headers["x-should-retry"] = "true"
        response.headers["retry-after"] = "1"
        return response
    }

    /// An answer in the Anthropic API's error shape.
    static func apiError(_ message: String, status: HTTPStatus, type: String) -> HTTPResponse {
        struct Body: Encodable { let type = "error"; let error: Detail }
        struct Detail: Encodable { let type: String; let message: String }
        var response = HTTPResponse.json(Body(error: Detail(type: type, message: message)), status: status)
        response.headers["x-should-retry"] = "false"
        return response
    }

    static let droppedFromResponse: Set<String> = EgressProxy.hopByHop.union(["content-length", "transfer-encoding", "content-encoding", "set-cookie"])
}
