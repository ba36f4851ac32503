import COpenSSL

/// One TLS session that never touches a socket: ciphertext goes in and out through two memory BIOs,
/// so the caller moves it with the project's non-blocking sockets. Not thread-safe: `TLSStream`
/// uses it under its lock.
final class TLSEngine {
    enum Step: Equatable {
        case done(Int)
        case wantRead
        case closed
        case failed(String)
    }

    let ssl: OpaquePointer
    private let incoming: OpaquePointer
    private let outgoing: OpaquePointer

    init(context: OpaquePointer, server: Bool) throws {
        guard let ssl = SSL_new(context) else { throw TLSError.openSSL("SSL_new") }
        guard let incoming = burrow_memory_bio(), let outgoing = burrow_memory_bio() else {
            SSL_free(ssl)
            throw TLSError.openSSL("BIO_new")
        }
        self.ssl = ssl
        self.incoming = incoming
        self.outgoing = outgoing
        SSL_set_bio(ssl, incoming, outgoing)  // the session owns both BIOs from here
        if server { SSL_set_accept_state(ssl) } else { SSL_set_connect_state(ssl) }
    }

    deinit { SSL_free(ssl) }

    /// Ciphertext that arrived from the peer.
    func feed(_ bytes: ArraySlice<UInt8>) {
        bytes.withUnsafeBytes { raw in _ = BIO_write(incoming, raw.baseAddress, Int32(raw.count)) }
    }

    /// Ciphertext waiting to go to the peer.
    func takeOutput() -> [UInt8] {
        let pending = burrow_bio_pending(outgoing)
        guard pending > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: pending)
        let count = BIO_read(outgoing, &bytes, Int32(pending))
        return Array(bytes.prefix(Int(max(count, 0))))
    }

    func handshake() -> Step { step(SSL_do_handshake(ssl), "the TLS handshake") }

    /// Plaintext appended to `buffer` (`.done(count)`).
    func read(into buffer: inout [UInt8], maxBytes: Int = 16384) -> Step {
        var readBytes = 0
        let result = withUnsafeTemporaryAllocation(byteCount: maxBytes, alignment: 16) { scratch -> Int32 in
            var count = 0
            let result = SSL_read_ex(ssl, scratch.baseAddress, maxBytes, &count)
            if result == 1 { buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[0..<count])); readBytes = count }
            return result
        }
        return result == 1 ? .done(readBytes) : step(result, "reading TLS")
    }

    /// Encrypts all of `bytes` (the outgoing BIO grows; nothing waits).
    func write(_ bytes: ArraySlice<UInt8>) -> Step {
        var offset = bytes.startIndex
        while offset < bytes.endIndex {
            var written = 0
            let result = bytes[offset...].withUnsafeBytes { SSL_write_ex(ssl, $0.baseAddress, $0.count, &written) }
            guard result == 1 else { return step(result, "writing TLS") }
            offset += written
        }
        return .done(bytes.count)
    }

    func closeNotify() { _ = SSL_shutdown(ssl) }

    var alpn: String? {
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &data, &length)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    var serverName: String? { SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name).map { String(cString: $0) } }

    private func step(_ result: Int32, _ what: String) -> Step {
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_NONE: return .done(0)
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE: return .wantRead
        case SSL_ERROR_ZERO_RETURN: return .closed
        default:
            let verify = SSL_get_verify_result(ssl)
            if verify != X509_V_OK {
                return .failed("\(what): the certificate was refused: \(String(cString: X509_verify_cert_error_string(verify)))")
            }
            return .failed(TLSError.openSSL(what).description)
        }
    }
}
