import BurrowSystem

/// The start line and headers of a request or a response, before the body.
/// A message head: its start line's three parts, named, and its header fields.
public protocol MessageHead: Sendable, Equatable {
    var headers: HTTPHeaders { get }
    static var isRequest: Bool { get }
    /// From a start line already checked by `HeadParser` (three parts; a status line's code is a number).
    init(checkedStartLine parts: [String], headers: HTTPHeaders)
}

/// `GET /path HTTP/1.1` and its headers.
public struct RequestHead: MessageHead {
    public var method: HTTPMethod
    public var target: String
    public var version: String
    public var headers: HTTPHeaders
    public static var isRequest: Bool { true }

    public init(method: HTTPMethod, target: String, version: String = "HTTP/1.1", headers: HTTPHeaders = [:]) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
    }

    public init(checkedStartLine parts: [String], headers: HTTPHeaders) {
        self.init(method: HTTPMethod(parts[0]), target: parts[1], version: parts[2], headers: headers)
    }
}

/// `HTTP/1.1 200 OK` and its headers.
public struct StatusHead: MessageHead {
    public var version: String
    public var status: Int
    public var reason: String
    public var headers: HTTPHeaders
    public static var isRequest: Bool { false }

    public init(checkedStartLine parts: [String], headers: HTTPHeaders) {
        version = parts[0]
        status = Int(parts[1]) ?? 0
        reason = parts[2]
        self.headers = headers
    }
}

/// How a message's body is delimited (RFC 9112 §6).
public enum BodyFraming: Sendable, Equatable {
    case none
    case length(Int)
    case chunked
    /// Responses only: the body runs until the connection closes.
    case untilClose
}

public enum HeadParseResult<Head: MessageHead>: Sendable, Equatable {
    case incomplete
    case complete(Head, length: Int)
    case failure(HTTPError)
}

/// Pure parsing of HTTP/1.1 message heads over bytes, shared by the server and the Podman client.
public enum HeadParser {

    /// Looks for a complete request head at the start of `buffer`.
    public static func parse(_ buffer: [UInt8], limits: HTTPLimits = HTTPLimits()) -> HeadParseResult<RequestHead> {
        parse(buffer, limits: limits, as: RequestHead.self)
    }

    /// Looks for a complete head (a request's, or a response's) at the start of `buffer`.
    public static func parse<Head: MessageHead>(_ buffer: [UInt8], limits: HTTPLimits = HTTPLimits(), as: Head.Type) -> HeadParseResult<Head> {
        let isRequest = Head.isRequest
        guard let end = headEnd(buffer, limit: limits.maxHeadBytes) else {
            return buffer.count > limits.maxHeadBytes
                ? .failure(HTTPError(.headersTooLarge, "the request line and headers exceed \(limits.maxHeadBytes) bytes"))
                : .incomplete
        }
        if end > limits.maxHeadBytes {
            return .failure(HTTPError(.headersTooLarge, "the request line and headers exceed \(limits.maxHeadBytes) bytes"))
        }
        var lines = buffer[0..<end - 3].split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)[...]
        guard let startBytes = lines.popFirst().flatMap(stripCR), let startLine = text(startBytes) else {
            return .failure(HTTPError(.badRequest, "the start line is not valid text"))
        }
        // Split on the first two spaces over bytes (valid UTF-8 was checked above).
        let pieces = startBytes.split(separator: UInt8(ascii: " "), maxSplits: 2, omittingEmptySubsequences: false)
        guard pieces.count == 3, !pieces[0].isEmpty, !pieces[1].isEmpty else {
            return .failure(HTTPError(.badRequest, "malformed start line"))
        }
        let parts = pieces.map { String(decoding: $0, as: UTF8.self) }
        if isRequest {
            if let error = checkRequestLine(parts, proxyForms: limits.acceptsProxyForms) { return .failure(error) }
        } else if !parts[0].hasPrefix("HTTP/1.") || Int(parts[1]) == nil {
            return .failure(HTTPError(.badGateway, "malformed status line: \(startLine)"))
        }
        var headers = HTTPHeaders()
        for rawLine in lines {
            guard let line = stripCR(rawLine) else { return .failure(HTTPError(.badRequest, "a header line ends without CR LF")) }
            if headers.fields.count >= limits.maxHeaderCount {
                return .failure(HTTPError(.headersTooLarge, "more than \(limits.maxHeaderCount) header fields"))
            }
            // RFC 9112 §5.2: obsolete line folding is rejected.
            if let first = line.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") {
                return .failure(HTTPError(.badRequest, "obsolete header line folding is not accepted"))
            }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
                  line[line.startIndex..<colon].allSatisfy(isTokenByte),
                  let name = text(line[line.startIndex..<colon]), let value = text(trimmed(line[(colon + 1)...])),
                  !value.utf8.contains(where: { $0 < 0x20 && $0 != 0x09 || $0 == 0x7F }) else {
                return .failure(HTTPError(.badRequest, "malformed header line"))
            }
            headers.add(name, value)
        }
        return .complete(Head(checkedStartLine: parts, headers: headers), length: end)
    }

    /// Decides how the body of a request is framed, refusing ambiguous framing.
    public static func requestFraming(_ headers: HTTPHeaders) -> Result<BodyFraming, HTTPError> {
        let encodings = headers.values("Transfer-Encoding")
        let lengths = headers.values("Content-Length")
        if !encodings.isEmpty {
            // RFC 9112 §6.1: a message with both is a smuggling attempt; refuse it.
            if !lengths.isEmpty { return .failure(HTTPError(.badRequest, "both Content-Length and Transfer-Encoding are present")) }
            let codings = encodings.flatMap { $0.split(separator: ",").map { $0.trimmingSpaces.lowercased() } }
            guard codings == ["chunked"] else {
                return .failure(HTTPError(.notImplemented, "only the chunked transfer coding is supported"))
            }
            return .success(.chunked)
        }
        return contentLength(lengths).map { $0.map { $0 == 0 ? .none : .length($0) } ?? .none }
    }

    /// Decides how a response body is framed (RFC 9112 §6.3).
    public static func responseFraming(_ headers: HTTPHeaders, status: Int, requestMethod: HTTPMethod) -> Result<BodyFraming, HTTPError> {
        if requestMethod == .head || status / 100 == 1 || status == 204 || status == 304 { return .success(.none) }
        if headers.hasToken("chunked", in: "Transfer-Encoding") { return .success(.chunked) }
        return contentLength(headers.values("Content-Length")).map { $0.map { .length($0) } ?? .untilClose }
    }

    static func contentLength(_ values: [String]) -> Result<Int?, HTTPError> {
        let distinct = Set(values.flatMap { $0.split(separator: ",").map { String($0.trimmingSpaces) } })
        guard let value = distinct.first else { return .success(nil) }
        guard distinct.count == 1, !value.isEmpty, value.utf8.count <= 15, value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let length = Int(value) else {
            return .failure(HTTPError(.badRequest, "invalid Content-Length"))
        }
        return .success(length)
    }

    private static func checkRequestLine(_ parts: [String], proxyForms: Bool) -> HTTPError? {
        let (method, target, version) = (parts[0], parts[1], parts[2])
        guard method.utf8.allSatisfy(isTokenByte) else { return HTTPError(.badRequest, "malformed method") }
        guard version == "HTTP/1.1" || version == "HTTP/1.0" else {
            return version.hasPrefix("HTTP/") ? HTTPError(.versionNotSupported, "only HTTP/1.0 and HTTP/1.1 are supported")
                                               : HTTPError(.badRequest, "malformed HTTP version")
        }
        let form = target.hasPrefix("/") || target == "*" || (proxyForms && (method == "CONNECT" || target.lowercased().hasPrefix("http://")))
        guard form, !target.utf8.contains(where: { $0 <= 0x20 || $0 >= 0x7F }) else {
            return HTTPError(.badRequest, "malformed request target")
        }
        guard proxyForms || isKnownMethod(method) else { return HTTPError(.notImplemented, "method \(method) is not implemented") }
        return nil
    }

    /// Index just past the first CR LF CR LF, searching no further than `limit` + 4 bytes.
    static func headEnd(_ buffer: [UInt8], limit: Int) -> Int? {
        let count = min(buffer.count, limit + 4)
        guard count >= 4 else { return nil }
        return buffer.withUnsafeBufferPointer { bytes -> Int? in
            for index in 3..<count where bytes[index] == 0x0A
                && bytes[index - 1] == 0x0D && bytes[index - 2] == 0x0A && bytes[index - 3] == 0x0D {
                return index + 1
            }
            return nil
        }
    }

    static func isKnownMethod(_ method: String) -> Bool {
        switch method {
        case "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS": true
        default: false
        }
    }

    /// Without spaces and tabs at either end (a header value's optional whitespace).
    private static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        let isBlank = { (byte: UInt8) in byte == 0x20 || byte == 0x09 }
        guard let first = bytes.firstIndex(where: { !isBlank($0) }), let last = bytes.lastIndex(where: { !isBlank($0) }) else {
            return bytes[bytes.endIndex...]
        }
        return bytes[first...last]
    }

    private static func stripCR(_ line: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        guard line.last == 0x0D else { return nil }
        return line.dropLast()
    }

    private static func text(_ bytes: ArraySlice<UInt8>) -> String? {
        guard !bytes.contains(0) else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }

    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
             UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
             UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }
}
