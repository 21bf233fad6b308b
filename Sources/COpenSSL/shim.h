#include <string.h>
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/x509v3.h>
#include <openssl/pem.h>
#include "ticket_keys.h"
#include "ocsp_staple.h"

// OpenSSL spells several of its settings as macros, which Swift cannot call; these
// one-line functions give them a callable name and nothing more.
static inline long te_ssl_ctx_set_min_proto(SSL_CTX *ctx, int version) {
    return SSL_CTX_set_min_proto_version(ctx, version);
}
static inline long te_ssl_ctx_set_max_proto(SSL_CTX *ctx, int version) {
    return SSL_CTX_set_max_proto_version(ctx, version);
}
static inline void te_ssl_ctx_set_servername_cb(SSL_CTX *ctx, int (*cb)(SSL *, int *, void *)) {
    SSL_CTX_set_tlsext_servername_callback(ctx, cb);
}
static inline long te_ssl_ctx_set_session_cache_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_session_cache_mode(ctx, mode);
}
static inline long te_ssl_ctx_set_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_mode(ctx, mode);
}
static inline long te_ssl_ctx_set_read_ahead(SSL_CTX *ctx, int yes) {
    return SSL_CTX_set_read_ahead(ctx, yes);
}
static inline long te_ssl_ctx_set_chain(SSL_CTX *ctx, STACK_OF(X509) *chain) {
    return SSL_CTX_set1_chain(ctx, chain);
}
static inline int te_sk_x509_num(STACK_OF(X509) *stack) { return sk_X509_num(stack); }
static inline void te_sk_x509_pop_free(STACK_OF(X509) *stack) { sk_X509_pop_free(stack, X509_free); }
static inline STACK_OF(X509) *te_sk_x509_new(void) { return sk_X509_new_null(); }
static inline int te_sk_x509_push(STACK_OF(X509) *stack, X509 *cert) { return sk_X509_push(stack, cert); }
static inline int te_sk_general_name_num(GENERAL_NAMES *names) { return sk_GENERAL_NAME_num(names); }
static inline GENERAL_NAME *te_sk_general_name_value(GENERAL_NAMES *names, int i) { return sk_GENERAL_NAME_value(names, i); }
static inline void te_general_names_free(GENERAL_NAMES *names) { GENERAL_NAMES_free(names); }
static inline const unsigned char *te_general_name_dns(GENERAL_NAME *name, int *length) {
    if (name->type != GEN_DNS) return NULL;
    *length = ASN1_STRING_length(name->d.dNSName);
    return ASN1_STRING_get0_data(name->d.dNSName);
}
static inline void te_ssl_ctx_set_servername_arg(SSL_CTX *ctx, void *arg) {
    SSL_CTX_set_tlsext_servername_arg(ctx, arg);
}
// The server-side settings every context shares: the server picks the TLS 1.2 cipher,
// no renegotiation (a CPU-exhaustion vector) and no compression (CRIME); writes may be
// partial and retried from a moved buffer (our buffers compact), and idle connections
// give their TLS buffers back.
static inline void te_ssl_ctx_set_server_defaults(SSL_CTX *ctx) {
    SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
}
// TLS-ALPN-01 (RFC 8737): 1 when the ClientHello's ALPN extension lists exactly one protocol,
// `acme-tls/1` (what an ACME server sends to validate), else 0. Only valid in the ClientHello
// callback (later, OpenSSL has consumed the extension). A scan of the parsed extension table:
// no allocation.
static inline int te_client_hello_offers_only_acme_tls(SSL *ssl) {
    static const unsigned char expected[] = { 0, 11, 10, 'a', 'c', 'm', 'e', '-', 't', 'l', 's', '/', '1' };
    const unsigned char *data = NULL;
    size_t length = 0;
    if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_application_layer_protocol_negotiation, &data, &length) != 1) return 0;
    return length == sizeof(expected) && memcmp(data, expected, sizeof(expected)) == 0;
}
// The host_name of the ClientHello's server_name extension (RFC 6066 section 3), copied
// NUL-terminated into `out`; 0 when absent, malformed or longer than `size` - 1.
static inline size_t te_client_hello_server_name(SSL *ssl, char *out, size_t size) {
    const unsigned char *data = NULL;
    size_t length = 0;
    if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &data, &length) != 1 || length < 5) return 0;
    size_t list = ((size_t)data[0] << 8) | data[1];
    size_t name = ((size_t)data[3] << 8) | data[4];
    if (list + 2 != length || data[2] != TLSEXT_NAMETYPE_host_name || name == 0 || name + 5 > length || name >= size) return 0;
    memcpy(out, data + 5, name);
    out[name] = 0;
    return name;
}
static inline void te_ssl_ctx_set_client_hello_cb(SSL_CTX *ctx, int (*cb)(SSL *, int *, void *)) {
    SSL_CTX_set_client_hello_cb(ctx, cb, NULL);
}
// No session tickets on this connection (a TLS-ALPN-01 validation resumes nothing, and the
// challenge context has no ticket key ring, so issuing one would fail the TLS 1.2 handshake).
static inline void te_ssl_disable_tickets(SSL *ssl) {
    SSL_set_options(ssl, SSL_OP_NO_TICKET);
    SSL_set_num_tickets(ssl, 0);
}
