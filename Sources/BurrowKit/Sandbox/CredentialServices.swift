import FoundationEssentials
import BurrowSystem
import BurrowHTTP

/// One burrow's `credentials.services` at work in its proxy: which hosts get which secret, the
/// placeholders its box holds, and the secrets, fetched on the host at first use and kept only in
/// this process's memory for the burrow's turn.
public final class CredentialServices: Sendable {
    struct Service: Sendable {
        let config: ServiceCredential
        let patterns: [HostPattern]
        let placeholder: String
        func covers(host: String, port: UInt16) -> Bool { patterns.contains { $0.matches(host: host.lowercased(), port: port) } }
    }
    let services: [Service]
    private let secrets = Locked<[String: String]>([:])

    public init(_ configs: [ServiceCredential], burrow: String) {
        services = configs.map { Service(config: $0, patterns: $0.hosts.compactMap(HostPattern.init), placeholder: $0.placeholderValue(burrow: burrow)) }
    }

    func covers(host: String, port: UInt16) -> Bool { services.contains { $0.covers(host: host, port: port) } }

    /// The service whose placeholder `texts` carry toward a host that is not its own (the box trying
    /// to send it elsewhere); nil when none does.
    func exfiltration(host: String, port: UInt16, _ texts: [String]) -> String? {
        for service in services where !service.covers(host: host, port: port) {
            if texts.contains(where: { Self.carries($0, service.placeholder) }) { return service.config.name }
        }
        return nil
    }

    /// Placeholders that must not leave toward `host` in a body, and their services' names.
    func foreignPlaceholders(host: String, port: UInt16) -> [(name: String, placeholder: [UInt8])] {
        services.filter { !$0.covers(host: host, port: port) }.map { ($0.config.name, Array($0.placeholder.utf8)) }
    }

    /// `headers` with each field carrying a placeholder of a service of `host` replaced by that
    /// service's own presentation of its secret; the services used.
    func present(_ headers: HTTPHeaders, host: String, port: UInt16) async throws -> (HTTPHeaders, [String]) {
        var result = HTTPHeaders()
        var used: [String] = []
        for field in headers {
            guard let service = services.first(where: { $0.covers(host: host, port: port) && Self.carries(field.value, $0.placeholder) }) else {
                result.add(field.name, field.value)
                continue
            }
            let secret = try await secret(service.config)
            if let basic = service.config.basic {
                result.add("Authorization", "Basic " + Data("\(basic.username):\(secret)".utf8).base64EncodedString())
            } else if let header = service.config.header, let format = service.config.format {
                result.add(header, format.replacingOccurrences("{secret}", with: secret))
            }
            if !used.contains(service.config.name) { used.append(service.config.name) }
        }
        return (result, used)
    }

    /// True when `text` holds `placeholder`, plainly or inside HTTP basic credentials.
    static func carries(_ text: String, _ placeholder: String) -> Bool {
        if text.contains(placeholder) { return true }
        let words = text.split(separator: " ")
        guard words.count == 2, words[0].lowercased() == "basic", let decoded = Data(base64Encoded: String(words[1])) else { return false }
        return String(decoding: decoded, as: UTF8.self).contains(placeholder)
    }

    private func secret(_ config: ServiceCredential) async throws -> String {
        if let known = secrets.withLock({ $0[config.name] }) { return known }
        let fetched = try await Self.fetch(config)
        secrets.withLock { $0[config.name] = fetched }
        return fetched
    }

    struct Unavailable: Error, CustomStringConvertible {
        let description: String
    }

    /// Reads the secret from where `source` says; a failure names the field to fix, never a secret.
    static func fetch(_ config: ServiceCredential) async throws -> String {
        let field = "credentials.services \"\(config.name)\" source"
        var text: String?
        if let name = config.source.env {
            text = FileSystem.environment(name)
        } else if let path = config.source.file {
            text = (try? FileSystem.readFile(Config.expandHome(path), limit: 1 << 16)).map { String(decoding: $0, as: UTF8.self) }
        } else if let command = config.source.command {
            let result = try? await Subprocess.run(command, timeout: .seconds(config.source.timeoutSeconds ?? 10))
            guard let result, result.succeeded else {
                throw Unavailable(description: "\(field): `\(command.joined(separator: " "))` failed (exit \(result.map { String($0.status) } ?? "none: not run or timed out"))")
            }
            text = result.stdout
        }
        let secret = String((text ?? "").drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
        guard !secret.isEmpty, !secret.contains("\r"), !secret.contains("\n") else {
            throw Unavailable(description: "\(field) gives no secret (or one with line breaks)")
        }
        return secret
    }
}

/// Finds any of some byte strings in a stream that arrives in pieces, across the pieces' edges.
struct PlaceholderScanner {
    let needles: [[UInt8]]
    private var tail: [UInt8] = []
    private let keep: Int

    init(_ needles: [[UInt8]]) {
        self.needles = needles
        keep = (self.needles.map(\.count).max() ?? 1) - 1
    }

    /// The index of a needle that ends in `piece` (perhaps begun in an earlier one).
    mutating func found(in piece: ArraySlice<UInt8>) -> Int? {
        guard !needles.isEmpty else { return nil }
        let window = tail + piece
        for (index, needle) in needles.enumerated() where window.count >= needle.count {
            if window.firstRange(of: needle) != nil { return index }
        }
        tail = Array(window.suffix(keep))
        return nil
    }
}
