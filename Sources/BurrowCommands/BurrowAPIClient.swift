import FoundationEssentials
import BurrowSystem
import BurrowHTTP
import BurrowKit

/// The client commands' side of Burrow's HTTP API: Burrow's own HTTP client over TCP to the server
/// `ServerTarget` names, every request with the token; a refusal becomes a `ClientError` that says
/// what to do (start `burrow serve`, fix the token, …).
public struct BurrowAPIClient: Sendable {
    let target: ServerTarget
    let http: HTTPClient

    public init(target: ServerTarget) {
        self.target = target
        http = HTTPClient(address: target.address)
    }

    /// The whole answer of a request that must succeed (2xx), bounded.
    func send(_ method: HTTPMethod, _ path: String, json: [UInt8]? = nil) async throws(ClientError) -> [UInt8] {
        let response: ClientResponse
        do {
            response = try await http.send(request(method, path, json: json), limit: 32 << 20)
        } catch {
            throw describe(error)
        }
        try check(status: response.status, body: response.body)
        return response.body
    }

    /// A streamed answer (events, history) that must succeed; the caller reads and closes it.
    func open(_ path: String) async throws(ClientError) -> ResponseStream {
        let stream: ResponseStream
        do {
            stream = try await http.open(request(.get, path, json: nil))
        } catch {
            throw describe(error)
        }
        if !(200..<300).contains(stream.status) {
            let body = (try? await stream.collect(limit: 64 << 10)) ?? []
            stream.close()
            try check(status: stream.status, body: body)
        }
        return stream
    }

    func record(_ id: String) async throws(ClientError) -> (BurrowRecord, [UInt8]) {
        let body = try await send(.get, "/api/burrows/\(Self.pathSegment(id))")
        return (try Self.decode(BurrowRecord.self, body), body)
    }

    func request(_ method: HTTPMethod, _ path: String, json: [UInt8]?) -> ClientRequest {
        var request = ClientRequest(method, path, headers: ["Authorization": "Bearer \(target.token)", "Accept": "application/json"],
                                    body: json.map { .bytes($0, contentType: "application/json") } ?? .none)
        request.host = target.host
        return request
    }

    func check(status: Int, body: [UInt8]) throws(ClientError) {
        guard !(200..<300).contains(status) else { return }
        struct Payload: Decodable { let error: String; let detail: String? }
        let payload = try? JSONCoding.decoder.decode(Payload.self, from: Data(body))
        let said = payload.map { $0.error + ($0.detail.map { ": \($0)" } ?? "") }
            ?? "HTTP \(status) \(TerminalText.safe(String(decoding: body.prefix(500), as: UTF8.self)))"
        if status == 401 {
            throw .unauthorized("the server at \(target.address) refused the access token (\(said)); set BURROW_TOKEN to the token `burrow serve` printed, or use the --config of that server so its <stateDir>/token is read")
        }
        throw .refused(status: status, TerminalText.safe(said))
    }

    func describe(_ error: any Error) -> ClientError {
        if case .connect(_, let cause) = error as? HTTPClientError {
            return .notReachable("no Burrow server answers at \(target.address) (\(cause)): start it with `burrow serve` (the same --config), or pass --server http://HOST:PORT")
        }
        return .protocolError("the connection to \(target.address) failed: \(error)")
    }

    static func decode<T: Decodable>(_ type: T.Type, _ body: [UInt8]) throws(ClientError) -> T {
        do { return try JSONCoding.decoder.decode(type, from: Data(body)) } catch {
            throw .protocolError("unexpected answer from the server: \(error)")
        }
    }

    /// An id as one path segment: anything but letters, digits, `-` and `_` is percent-encoded, so an
    /// id typed by a user can never reach another route.
    static func pathSegment(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }
}
