import COpenSSL

/// One TLS connection's OpenSSL state, on a non-blocking socket.
///
/// Invariants: `ssl` is owned here and freed in deinit; only the owning worker thread
/// calls into it. OpenSSL reports "try again after the socket is readable/writable" as
/// `WANT_READ`/`WANT_WRITE`; those are mapped to `.wouldBlock` plus which readiness is
/// needed, so the worker's edge-triggered flags stay right.
final class TLSSession {
    let ssl: OpaquePointer
    /// Keeps the certificates this handshake may switch to alive (see CertificateStore).
    let store: CertificateStore

    enum Need { case none, read, write }
    /// What the last call that returned `.wouldBlock` waits for.
    private(set) var need: Need = .none

    init?(fd: Int32, store: CertificateStore) {
        guard let ssl = SSL_new(store.defaultCertificate.context) else { return nil }
        SSL_set_fd(ssl, fd)
        SSL_set_accept_state(ssl)
        // The SNI callback finds this connection's store here (not in the SSL_CTX, which
        // several stores share); `store` below keeps it alive for as long as `ssl` lives.
        SSL_set_ex_data(ssl, 0, Unmanaged.passUnretained(store).toOpaque())
        self.ssl = ssl
        self.store = store
    }

    deinit { SSL_free(ssl) }

    enum HandshakeResult { case done, wouldBlock, failed }

    func handshake() -> HandshakeResult {
        ERR_clear_error()
        let rc = SSL_do_handshake(ssl)
        if rc == 1 {
            need = .none
            return .done
        }
        switch SSL_get_error(ssl, rc) {
        case SSL_ERROR_WANT_READ: need = .read; return .wouldBlock
        case SSL_ERROR_WANT_WRITE: need = .write; return .wouldBlock
        default:
            ERR_clear_error()
            return .failed
        }
    }

    enum ApplicationProtocol { case http11, h2, acmeTLS1 }

    /// What ALPN chose: h2, `acme-tls/1` (a TLS-ALPN-01 validation, which only our challenge
    /// contexts ever select, see TLSContextFactory), or nothing/http/1.1.
    var negotiated: ApplicationProtocol {
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &data, &length)
        if length == 2 && data?[0] == UInt8(ascii: "h") && data?[1] == UInt8(ascii: "2") { return .h2 }
        return length == 10 && data?[0] == UInt8(ascii: "a") ? .acmeTLS1 : .http11
    }

    /// The SNI the client sent, if any.
    var serverName: String? {
        guard let name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name) else { return nil }
        return String(cString: name)
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> Socket.IOResult {
        var count = 0
        ERR_clear_error()
        let rc = SSL_read_ex(ssl, buffer.baseAddress, buffer.count, &count)
        if rc == 1 { return .bytes(count) }
        return failure(rc)
    }

    func write(_ bytes: UnsafeRawBufferPointer) -> Socket.IOResult {
        guard !bytes.isEmpty else { return .bytes(0) }
        var count = 0
        ERR_clear_error()
        let rc = SSL_write_ex(ssl, bytes.baseAddress, bytes.count, &count)
        if rc == 1 { return .bytes(count) }
        return failure(rc)
    }

    private func failure(_ rc: Int32) -> Socket.IOResult {
        switch SSL_get_error(ssl, rc) {
        case SSL_ERROR_WANT_READ: need = .read; return .wouldBlock
        case SSL_ERROR_WANT_WRITE: need = .write; return .wouldBlock
        case SSL_ERROR_ZERO_RETURN: return .closed
        default:
            ERR_clear_error()
            return .failed(0)
        }
    }

    /// Best-effort close_notify; the socket is closed right after whatever happens.
    func shutdown() {
        ERR_clear_error()
        SSL_shutdown(ssl)
        ERR_clear_error()
    }
}
