import COpenSSL

/// An EC P-256 private key, in memory only.
public final class TLSKey: @unchecked Sendable {
    // @unchecked: never changed after creation; OpenSSL counts its references atomically.
    let pointer: OpaquePointer

    public init() throws {
        guard let key = burrow_ec_p256_key() else { throw TLSError.openSSL("cannot make an EC P-256 key") }
        pointer = key
    }

    deinit { EVP_PKEY_free(pointer) }
}

/// An X.509 certificate, as OpenSSL holds it.
public final class TLSCertificate: @unchecked Sendable {
    // @unchecked: never changed after it is signed.
    let pointer: OpaquePointer

    init(owning pointer: OpaquePointer) { self.pointer = pointer }

    deinit { X509_free(pointer) }

    /// Reads the first certificate of a PEM file.
    public convenience init(pemFile path: String) throws {
        guard let bio = BIO_new_file(path, "r") else { throw TLSError.openSSL("cannot read the certificate file \(path)") }
        defer { BIO_free(bio) }
        guard let cert = PEM_read_bio_X509(bio, nil, nil, nil) else { throw TLSError.openSSL("\(path) holds no PEM certificate") }
        self.init(owning: cert)
    }

    public var pem: String {
        let bio = burrow_memory_bio()!
        defer { BIO_free(bio) }
        PEM_write_bio_X509(bio, pointer)
        var bytes = [UInt8](repeating: 0, count: burrow_bio_pending(bio))
        let count = BIO_read(bio, &bytes, Int32(bytes.count))
        return String(decoding: bytes.prefix(Int(max(count, 0))), as: UTF8.self)
    }

    /// Signs a new certificate: a CA when `issuer` is nil (self-signed with `key`), else a server leaf
    /// for `name` (its only subject alternative name) signed by `issuer` and `issuerKey`.
    static func make(name: String, key: TLSKey, issuer: TLSCertificate?, issuerKey: TLSKey, days: Int) throws -> TLSCertificate {
        guard let cert = X509_new() else { throw TLSError.openSSL("X509_new") }
        let made = TLSCertificate(owning: cert)
        var serial = [UInt8](repeating: 0, count: 16)
        RAND_bytes(&serial, Int32(serial.count))
        serial[0] &= 0x7F
        let number = BN_bin2bn(serial, Int32(serial.count), nil)
        defer { BN_free(number) }
        guard X509_set_version(cert, 2) == 1, BN_to_ASN1_INTEGER(number, X509_get_serialNumber(cert)) != nil,
              X509_gmtime_adj(X509_getm_notBefore(cert), -3600) != nil,
              X509_gmtime_adj(X509_getm_notAfter(cert), days * 86400) != nil,
              burrow_set_common_name(X509_get_subject_name(cert), name) == 1,
              X509_set_issuer_name(cert, issuer.map { X509_get_subject_name($0.pointer) } ?? X509_get_subject_name(cert)) == 1,
              X509_set_pubkey(cert, key.pointer) == 1 else { throw TLSError.openSSL("cannot fill a certificate for \(name)") }
        let signer = issuer?.pointer ?? cert
        let extensions: [(Int32, String)] = issuer == nil
            ? [(NID_basic_constraints, "critical,CA:TRUE,pathlen:0"), (NID_key_usage, "critical,keyCertSign,cRLSign"),
               (NID_subject_key_identifier, "hash")]
            : [(NID_basic_constraints, "critical,CA:FALSE"), (NID_key_usage, "critical,digitalSignature"),
               (NID_ext_key_usage, "serverAuth"), (NID_subject_alt_name, "DNS:" + name),
               (NID_authority_key_identifier, "keyid:always")]
        for (nid, value) in extensions where burrow_add_extension(cert, signer, nid, value) != 1 {
            throw TLSError.openSSL("cannot add extension \(value) for \(name)")
        }
        guard X509_sign(cert, issuerKey.pointer, EVP_sha256()) > 0 else { throw TLSError.openSSL("cannot sign the certificate for \(name)") }
        return made
    }
}
