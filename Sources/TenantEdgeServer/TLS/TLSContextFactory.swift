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
        te_ssl_ctx_set_client_hello_cb(context, clientHelloCallback)
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
/// on without ALPN and the connection speaks HTTP/1.1. A client offering only `acme-tls/1`
/// never gets here without a challenge context (the ClientHello callback fails it first); if
/// one did, it would fail with `no_application_protocol` rather than get a normal certificate.
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
/// A hello the ClientHello callback switched to a TLS-ALPN-01 challenge context keeps it (one
/// Bool read, false unless a challenge is pending).
private let serverNameCallback: @convention(c) (OpaquePointer?, UnsafeMutablePointer<Int32>?, UnsafeMutableRawPointer?) -> Int32 = {
    ssl, _, _ in
    guard let ssl, let pointer = SSL_get_ex_data(ssl, 0), let name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name) else {
        return SSL_TLSEXT_ERR_OK
    }
    let store = Unmanaged<CertificateStore>.fromOpaque(pointer).takeUnretainedValue()
    if store.hasChallenges && SSL_get_SSL_CTX(ssl) != store.defaultCertificate.context { return SSL_TLSEXT_ERR_OK }
    if let certificate = store.certificate(forServerName: name) {
        SSL_set_SSL_CTX(ssl, certificate.context)
    } else {
        store.reportMissing(name)
    }
    return SSL_TLSEXT_ERR_OK
}

/// TLS-ALPN-01 (RFC 8737): a hello that offers only `acme-tls/1` gets the pending challenge
/// certificate for its server name, or fails at once with `no_application_protocol` when there
/// is none, before the SNI callback could report a missing certificate: such a hello never
/// causes an order. Done here, the first callback, because in TLS 1.2 OpenSSL picks the
/// certificate before it asks for ALPN, and because later the ALPN extension is already
/// consumed. Every other hello costs one scan of OpenSSL's parsed extension table (C, no
/// allocation, no lock) and returns.
private let clientHelloCallback: @convention(c) (OpaquePointer?, UnsafeMutablePointer<Int32>?, UnsafeMutableRawPointer?) -> Int32 = {
    ssl, alert, _ in
    guard let ssl, te_client_hello_offers_only_acme_tls(ssl) == 1 else { return SSL_CLIENT_HELLO_SUCCESS }
    var name = [CChar](repeating: 0, count: 256)
    if let pointer = SSL_get_ex_data(ssl, 0), te_client_hello_server_name(ssl, &name, name.count) > 0 {
        let store = Unmanaged<CertificateStore>.fromOpaque(pointer).takeUnretainedValue()
        if let challenge = store.challengeCertificate(forServerName: name) {
            SSL_set_SSL_CTX(ssl, challenge.context)
            te_ssl_disable_tickets(ssl)
            return SSL_CLIENT_HELLO_SUCCESS
        }
    }
    alert?.pointee = alertNoApplicationProtocol
    return SSL_CLIENT_HELLO_ERROR
}
