/// A preview's origin: `http://<port>--<burrow id>.localhost:<Burrow's port>/`, one per burrow and
/// port, so that a previewed page shares no origin with Burrow's page or with another preview.
public struct PreviewHost: Sendable, Equatable {
    public let id: String
    public let port: Int

    public init(id: String, port: Int) {
        self.id = id
        self.port = port
    }

    /// The `Host` header value of this preview on a Burrow listening on `listenPort`.
    public func host(listenPort: UInt16) -> String { "\(port)--\(id).localhost:\(listenPort)" }

    /// The preview a `Host` header names, when it is one for this Burrow's port; nil for any other
    /// host (those go to Burrow's own rules, which refuse unknown ones).
    public static func parse(_ host: String?, listenPort: UInt16?) -> PreviewHost? {
        guard let host = host?.lowercased(), let listenPort else { return nil }
        let suffix = ".localhost:\(listenPort)"
        guard host.hasSuffix(suffix) else { return nil }
        let parts = host.dropLast(suffix.count).split(separator: "-", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[1].isEmpty else { return nil }
        let portText = parts[0], id = parts[2]
        guard (1...5).contains(portText.count), portText.allSatisfy({ $0.isASCIIDigit }), let port = Int(portText), (1...65535).contains(port),
              (1...32).contains(id.count), id.allSatisfy({ $0.isASCIIDigit || ($0 >= "a" && $0 <= "z") }) else { return nil }
        return PreviewHost(id: String(id), port: port)
    }
}

extension Character {
    var isASCIIDigit: Bool { self >= "0" && self <= "9" }
}
