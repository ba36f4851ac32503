import BurrowSystem
import BurrowTLS

/// What one burrow's proxy needs to look inside TLS: the burrow's own CA (its key only in this
/// process's memory, gone with the burrow) and the trust it checks upstream servers against.
public final class Interception: Sendable {
    public let authority: TLSAuthority
    public let upstreamTrust: TLSClientContext
    public let services: CredentialServices

    public init(burrow: String, extraCAs: [String], services: [ServiceCredential] = []) throws {
        self.services = CredentialServices(services, burrow: burrow)
        authority = try TLSAuthority(name: "Burrow \(burrow) CA")
        upstreamTrust = try TLSClientContext(extraCAs: extraCAs)
    }

    /// Hosts with rules or a credential service are intercepted; others stay tunnels.
    func intercepts(host: String, port: UInt16, rules: NetworkRules) -> Bool {
        rules.intercepts(host: host, port: port) || services.covers(host: host, port: port)
    }

    /// The CA bundle a burrow trusts: the host's own CAs (so tunnels keep working) plus the burrow's.
    public func trustBundle() -> [UInt8] {
        let system = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"]
            .lazy.compactMap { try? FileSystem.readFile($0) }.first ?? []
        var bundle = system
        if bundle.last != nil && bundle.last != UInt8(ascii: "\n") { bundle.append(UInt8(ascii: "\n")) }
        return bundle + Array(authority.certificate.pem.utf8)
    }
}
