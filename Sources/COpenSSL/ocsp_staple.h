#ifndef TE_OCSP_STAPLE_H
#define TE_OCSP_STAPLE_H
#include <openssl/ssl.h>
#include <openssl/ocsp.h>
#include <openssl/err.h>
#include <openssl/crypto.h>
#include <string.h>

// A DER OCSP response to staple, owned by the certificate that loaded it and kept alive
// as long as its SSL_CTX (the status callback's argument points here).
typedef struct te_ocsp_staple {
    size_t length;
    unsigned char *der;
} te_ocsp_staple;

// Checks `der` before it is ever stapled: it must parse, say "successful", carry a
// response for the certificate with `serial`, and not be past its nextUpdate (5 minutes
// of clock skew allowed). Returns NULL when it is fine, else the reason.
static inline const char *te_ocsp_check(const unsigned char *der, long length, const ASN1_INTEGER *serial) {
    const unsigned char *cursor = der;
    OCSP_RESPONSE *response = d2i_OCSP_RESPONSE(NULL, &cursor, length);
    if (response == NULL || cursor != der + length) {
        OCSP_RESPONSE_free(response);
        return "not a DER OCSP response";
    }
    const char *problem = NULL;
    OCSP_BASICRESP *basic = NULL;
    if (OCSP_response_status(response) != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
        problem = "OCSP response status is not successful";
    } else if ((basic = OCSP_response_get1_basic(response)) == NULL) {
        problem = "OCSP response has no basic response";
    } else {
        problem = "OCSP response is not about this certificate (no matching serial number)";
        for (int i = 0; i < OCSP_resp_count(basic); i++) {
            OCSP_SINGLERESP *single = OCSP_resp_get0(basic, i);
            ASN1_INTEGER *number = NULL;
            if (OCSP_id_get0_info(NULL, NULL, NULL, &number, (OCSP_CERTID *)OCSP_SINGLERESP_get0_id(single)) != 1
                || number == NULL || ASN1_INTEGER_cmp(number, serial) != 0) continue;
            ASN1_GENERALIZEDTIME *thisUpdate = NULL, *nextUpdate = NULL;
            int reason = 0;
            OCSP_single_get0_status(single, &reason, NULL, &thisUpdate, &nextUpdate);
            problem = OCSP_check_validity(thisUpdate, nextUpdate, 300, -1) == 1
                ? NULL : "OCSP response is outside its validity period";
            break;
        }
    }
    OCSP_BASICRESP_free(basic);
    OCSP_RESPONSE_free(response);
    ERR_clear_error();
    return problem;
}

// Status callback: the client sent status_request; hand OpenSSL a copy of the response
// (it frees what it is given). Without a response there is nothing to acknowledge.
static inline int te_ocsp_status_callback(SSL *ssl, void *arg) {
    const te_ocsp_staple *staple = arg;
    if (staple == NULL || staple->length == 0) return SSL_TLSEXT_ERR_NOACK;
    unsigned char *copy = OPENSSL_malloc(staple->length);
    if (copy == NULL) return SSL_TLSEXT_ERR_NOACK;
    memcpy(copy, staple->der, staple->length);
    if (SSL_set_tlsext_status_ocsp_resp(ssl, copy, (long)staple->length) != 1) {
        OPENSSL_free(copy);
        return SSL_TLSEXT_ERR_NOACK;
    }
    return SSL_TLSEXT_ERR_OK;
}

static inline void te_ssl_ctx_set_ocsp_staple(SSL_CTX *ctx, te_ocsp_staple *staple) {
    SSL_CTX_set_tlsext_status_cb(ctx, te_ocsp_status_callback);
    SSL_CTX_set_tlsext_status_arg(ctx, staple);
}
#endif
