import COpenSSL
import BurrowSystem

/// One burrow's certificate authority: an EC P-256 key that lives only in this process's memory, a
/// self-signed certificate the burrow is told to trust, and the leaf certificates it signs, one per
/// host the burrow's traffic to is intercepted, made on first use and kept while the burrow lives.
public final class TLSAuthority: @unchecked Sendable {
    // @unchecked: the key, certificate and context never change; `leaves` is behind its lock.
    private let key: TLSKey
    public let certificate: TLSCertificate
    /// One key for every leaf: signing a certificate is cheap, making a key less so.
    private let leafKey: TLSKey
    private let leaves = Locked<[String: TLSCertificate]>([:])
    /// Hosts a burrow can make this authority sign for; beyond, the oldest is dropped.
    static let maxLeaves = 1024
    let serverContext: OpaquePointer

    public init(name: String) throws {
        key = try TLSKey()
        leafKey = try TLSKey()
        certificate = try TLSCertificate.make(name: name, key: key, issuer: nil, issuerKey: key, days: 30)
        guard let context = SSL_CTX_new(TLS_server_method()) else { throw TLSError.openSSL("SSL_CTX_new") }
        serverContext = context
        guard burrow_harden_context(context, 1) == 1 else { throw TLSError.openSSL("cannot configure the TLS server") }
    }

    deinit { SSL_CTX_free(serverContext) }

    /// The certificate for `host` (a checked host name), signed now or earlier.
    func leaf(for host: String) throws -> TLSCertificate {
        guard !host.isEmpty, host.utf8.count <= 253,
              host.utf8.allSatisfy({ $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") || (0x30...0x39).contains($0) || (0x61...0x7A).contains($0) })
        else { throw TLSError("'\(host.prefix(64))' is not a host name a certificate can be made for") }
        if let known = leaves.withLock({ $0[host] }) { return known }
        let made = try TLSCertificate.make(name: host, key: leafKey, issuer: certificate, issuerKey: key, days: 7)
        return leaves.withLock { leaves in
            if leaves.count >= Self.maxLeaves { leaves.removeAll() }
            leaves[host] = leaves[host] ?? made
            return leaves[host]!
        }
    }

    /// A server-side session presenting `host`'s certificate.
    func serverSession(host: String) throws -> TLSEngine {
        let leaf = try leaf(for: host)
        let engine = try TLSEngine(context: serverContext, server: true)
        guard SSL_use_certificate(engine.ssl, leaf.pointer) == 1, SSL_use_PrivateKey(engine.ssl, leafKey.pointer) == 1 else {
            throw TLSError.openSSL("cannot present the certificate for \(host)")
        }
        return engine
    }
}

/// How Burrow checks the servers it connects to: the host's trust store (OpenSSL's default paths,
/// Debian's /etc/ssl/certs) plus extra CA files (`network.extraCAs`, internal mirrors).
public final class TLSClientContext: @unchecked Sendable {
    // @unchecked: configured once in init, then only read (SSL_new) by OpenSSL, which locks it.
    let context: OpaquePointer

    public init(extraCAs: [String] = []) throws {
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw TLSError.openSSL("SSL_CTX_new") }
        self.context = context
        guard burrow_harden_context(context, 0) == 1, SSL_CTX_set_default_verify_paths(context) == 1 else {
            throw TLSError.openSSL("cannot load the host's trust store")
        }
        for path in extraCAs where SSL_CTX_load_verify_locations(context, path, nil) != 1 {
            throw TLSError.openSSL("network.extraCAs: cannot load \(path) as PEM certificates; fix or remove the path")
        }
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        var alpn: [UInt8] = [8] + Array("http/1.1".utf8)
        guard SSL_CTX_set_alpn_protos(context, &alpn, UInt32(alpn.count)) == 0 else { throw TLSError.openSSL("ALPN") }
    }

    deinit { SSL_CTX_free(context) }

    /// A client session to `host`: SNI set (to `serverName` when given: tests of fronting), the
    /// certificate's name checked against `host`.
    func clientSession(host: String, serverName: String? = nil) throws -> TLSEngine {
        let engine = try TLSEngine(context: context, server: false)
        guard burrow_set_sni(engine.ssl, serverName ?? host) == 1, SSL_set1_host(engine.ssl, host) == 1 else {
            throw TLSError.openSSL("cannot ask for \(host)")
        }
        return engine
    }
}
