import COpenSSL
import Glibc

/// Creates server SSL_CTXs that all share one policy: TLS 1.2 and 1.3 only, a modern
/// cipher list (Mozilla "intermediate"), the server's cipher order, no renegotiation,
/// ALPN, and the SNI callback that switches to the certificate for the requested name.
enum TLSContextFactory {
    /// ECDHE with AEAD ciphers only, for TLS 1.2; TLS 1.3 suites are OpenSSL's defaults.
    static let tls12Ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
        + "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
        + "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

    static func makeContext(alpn: ALPNPolicy) -> OpaquePointer? {
        guard let context = SSL_CTX_new(TLS_server_method()) else { return nil }
        te_ssl_ctx_set_min_proto(context, TLS1_2_VERSION)
        te_ssl_ctx_set_server_defaults(context)
        SSL_CTX_set_cipher_list(context, tls12Ciphers)
        let list = switch alpn {
        case .h2AndHTTP11: alpnBoth
        case .http11Only: alpnHTTP11
        case .acmeTLS1: alpnACME
        }
        SSL_CTX_set_alpn_select_cb(context, alpnSelect, UnsafeMutableRawPointer(mutating: list.pointer))
        te_ssl_ctx_set_servername_cb(context, serverNameCallback)
        return context
    }
}

/// The ALPN lists live for the whole process (OpenSSL keeps the pointer).
private struct WireList: @unchecked Sendable {
    // Sendable: immutable bytes, written once before any thread reads them.
    let pointer: UnsafeMutablePointer<UInt8>
    let count: Int
    init(_ bytes: [UInt8]) {
        pointer = .allocate(capacity: bytes.count)
        pointer.initialize(from: bytes, count: bytes.count)
        count = bytes.count
    }
}

private let alpnBoth = WireList(ALPNPolicy.h2AndHTTP11.wireFormat)
private let alpnHTTP11 = WireList(ALPNPolicy.http11Only.wireFormat)
private let alpnACME = WireList(ALPNPolicy.acmeTLS1.wireFormat)

/// `no_application_protocol` (RFC 7301): the alert for an `acme-tls/1` hello we have no
/// challenge for.
private let alertNoApplicationProtocol: Int32 = 120

/// Picks our first protocol that the client offers; without a match the handshake goes
/// on without ALPN and the connection speaks HTTP/1.1, except for a client that offers only
/// `acme-tls/1` and reached a context without it (no pending TLS-ALPN-01 challenge for its
/// name): that handshake fails with `no_application_protocol` (RFC 8737 section 3), so an
/// ACME server never mistakes a normal certificate for a challenge answer.
/// The `acme-tls/1` comparison runs only on the no-match branch, never on a normal handshake.
private let alpnSelect: @convention(c) (
    OpaquePointer?, UnsafeMutablePointer<UnsafePointer<UInt8>?>?, UnsafeMutablePointer<UInt8>?,
    UnsafePointer<UInt8>?, UInt32, UnsafeMutableRawPointer?
) -> Int32 = { _, out, outLength, clientList, clientLength, arg in
    guard let arg, let out, let outLength, let clientList else { return SSL_TLSEXT_ERR_NOACK }
    let serverList = arg.assumingMemoryBound(to: UInt8.self)
    let serverLength: UInt32 = switch serverList {
    case alpnBoth.pointer: UInt32(alpnBoth.count)
    case alpnHTTP11.pointer: UInt32(alpnHTTP11.count)
    default: UInt32(alpnACME.count)
    }
    var selected: UnsafeMutablePointer<UInt8>?
    let result = SSL_select_next_proto(&selected, outLength, serverList, serverLength, clientList, clientLength)
    guard result == OPENSSL_NPN_NEGOTIATED, let selected else {
        if Int(clientLength) == alpnACME.count && memcmp(clientList, alpnACME.pointer, alpnACME.count) == 0 {
            return SSL_TLSEXT_ERR_ALERT_FATAL
        }
        return SSL_TLSEXT_ERR_NOACK
    }
    out.pointee = UnsafePointer(selected)
    return SSL_TLSEXT_ERR_OK
}

/// Switches the handshake to the certificate for the client's server name (exact name,
/// then a one-label wildcard); no SNI or no match keeps the default certificate and tells
/// the store, which may start issuing one (never blocking this handshake).
/// The store comes from the SSL's ex_data (set by TLSSession), so SSL_CTXs can be shared by
/// successive stores when certificates are added at run time.
///
/// TLS-ALPN-01: while some challenge is pending (one Bool, false nearly always), a hello that
/// offers only `acme-tls/1` gets the challenge certificate for its name, or fails with
/// `no_application_protocol` when there is none. This is the place for it (not the ALPN
/// callback): in TLS 1.2 OpenSSL picks the certificate before it asks for ALPN. An
/// `acme-tls/1` hello never reports a missing certificate, so it can never cause an order.
private let serverNameCallback: @convention(c) (OpaquePointer?, UnsafeMutablePointer<Int32>?, UnsafeMutableRawPointer?) -> Int32 = {
    ssl, alert, _ in
    guard let ssl, let pointer = SSL_get_ex_data(ssl, 0), let name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name) else {
        return SSL_TLSEXT_ERR_OK
    }
    let store = Unmanaged<CertificateStore>.fromOpaque(pointer).takeUnretainedValue()
    if store.hasChallenges && te_client_hello_offers_only_acme_tls(ssl) == 1 {
        guard let challenge = store.challengeCertificate(forServerName: name) else {
            alert?.pointee = alertNoApplicationProtocol
            return SSL_TLSEXT_ERR_ALERT_FATAL
        }
        SSL_set_SSL_CTX(ssl, challenge.context)
        return SSL_TLSEXT_ERR_OK
    }
    if let certificate = store.certificate(forServerName: name) {
        SSL_set_SSL_CTX(ssl, certificate.context)
    } else if te_client_hello_offers_only_acme_tls(ssl) == 0 {
        store.reportMissing(name)
    }
    return SSL_TLSEXT_ERR_OK
}
