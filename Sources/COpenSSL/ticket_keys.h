#ifndef TE_TICKET_KEYS_H
#define TE_TICKET_KEYS_H
#include <openssl/ssl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>

// Session ticket keys shared by every SSL_CTX of the process, so that a ticket issued by
// one worker (or before a SIGHUP certificate reload, which builds new contexts) resumes
// on any other. A key is 80 bytes: a 16-byte name (sent in clear in the ticket), a 32-byte
// AES-256-CBC key and a 32-byte HMAC-SHA256 key. Slot 0 encrypts new tickets; slot 1 (the
// key before the last rotation) still decrypts, and its tickets are renewed.
//
// Concurrency: one writer (the rotation thread; creation happens before any SSL_CTX sees
// the ring) and many readers (ticket callbacks on worker threads, during handshakes).
// It is a sequence lock: the writer makes `sequence` odd, rewrites the words, makes it
// even again; a reader copies the words and retries if the sequence was odd or moved.
// Chosen over a pthread rwlock because readers never take a lock or write shared memory
// (no cache-line ping-pong between workers on the handshake path), and over swapping a
// pointer to an immutable key set because that needs a safe moment to free the old set,
// which C without RCU does not give. Every access is a __atomic builtin, so there is no
// data race in the C11 sense; key copies on the stack are cleansed after use.
enum { TE_TICKET_KEY_WORDS = 10, TE_TICKET_KEY_NAME = 16 };

typedef struct te_ticket_keys {
    uint64_t sequence;
    uint64_t count;  // valid slots: 0, 1 or 2
    uint64_t words[2][TE_TICKET_KEY_WORDS];
} te_ticket_keys;

// Copies the keys out consistently; returns how many are valid.
static inline int te_ticket_keys_snapshot(te_ticket_keys *ring, uint64_t out[2][TE_TICKET_KEY_WORDS]) {
    for (;;) {
        uint64_t before = __atomic_load_n(&ring->sequence, __ATOMIC_ACQUIRE);
        if (before & 1) { sched_yield(); continue; }  // writer mid-update (it may be preempted)
        uint64_t count = __atomic_load_n(&ring->count, __ATOMIC_RELAXED);
        for (int k = 0; k < 2; k++)
            for (int i = 0; i < TE_TICKET_KEY_WORDS; i++)
                out[k][i] = __atomic_load_n(&ring->words[k][i], __ATOMIC_RELAXED);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (__atomic_load_n(&ring->sequence, __ATOMIC_RELAXED) == before) return (int)count;
    }
}

// New random key into slot 0, the old slot 0 into slot 1, the old slot 1 forgotten.
// Returns 0 (and changes nothing) if the random generator fails. Single writer only.
static inline int te_ticket_keys_rotate(te_ticket_keys *ring) {
    uint64_t fresh[TE_TICKET_KEY_WORDS];
    if (RAND_bytes((unsigned char *)fresh, sizeof fresh) != 1) return 0;
    uint64_t sequence = __atomic_load_n(&ring->sequence, __ATOMIC_RELAXED);
    __atomic_store_n(&ring->sequence, sequence + 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    for (int i = 0; i < TE_TICKET_KEY_WORDS; i++) {
        __atomic_store_n(&ring->words[1][i], __atomic_load_n(&ring->words[0][i], __ATOMIC_RELAXED), __ATOMIC_RELAXED);
        __atomic_store_n(&ring->words[0][i], fresh[i], __ATOMIC_RELAXED);
    }
    uint64_t count = __atomic_load_n(&ring->count, __ATOMIC_RELAXED);
    __atomic_store_n(&ring->count, count < 2 ? count + 1 : 2, __ATOMIC_RELAXED);
    __atomic_store_n(&ring->sequence, sequence + 2, __ATOMIC_RELEASE);
    OPENSSL_cleanse(fresh, sizeof fresh);
    return 1;
}

static inline te_ticket_keys *te_ticket_keys_new(void) {
    te_ticket_keys *ring = OPENSSL_zalloc(sizeof(te_ticket_keys));
    if (ring != NULL && !te_ticket_keys_rotate(ring)) {
        OPENSSL_free(ring);
        return NULL;
    }
    return ring;
}

static inline void te_ticket_keys_free(te_ticket_keys *ring) {
    OPENSSL_clear_free(ring, sizeof(te_ticket_keys));
}

// Which slot has this key name: 1 current, 2 previous, 0 none (expired or never ours).
// The numbers are the ticket callback's answers for decryption (2: accept and renew).
static inline int te_ticket_keys_find(te_ticket_keys *ring, const unsigned char name[TE_TICKET_KEY_NAME]) {
    uint64_t keys[2][TE_TICKET_KEY_WORDS];
    int count = te_ticket_keys_snapshot(ring, keys);
    int found = 0;
    for (int k = 0; k < count && !found; k++)
        if (CRYPTO_memcmp(keys[k], name, TE_TICKET_KEY_NAME) == 0) found = k + 1;
    OPENSSL_cleanse(keys, sizeof keys);
    return found;
}

// The name of the key that encrypts new tickets (not secret: it travels in every ticket).
static inline void te_ticket_keys_current_name(te_ticket_keys *ring, unsigned char name[TE_TICKET_KEY_NAME]) {
    uint64_t keys[2][TE_TICKET_KEY_WORDS];
    te_ticket_keys_snapshot(ring, keys);
    memcpy(name, keys[0], TE_TICKET_KEY_NAME);
    OPENSSL_cleanse(keys, sizeof keys);
}

// SSL_CTX_set_tlsext_ticket_key_evp_cb's callback. Encrypt: current key, fresh IV, 1.
// Decrypt: 1 for the current key, 2 for the previous one (the library then issues a new
// ticket under the current key), 0 for an unknown name (full handshake), -1 on error.
// The ring comes from the context's app data (ex_data index 0), set with the callback.
static inline int te_ticket_key_callback(SSL *ssl, unsigned char key_name[TE_TICKET_KEY_NAME],
                                         unsigned char iv[EVP_MAX_IV_LENGTH], EVP_CIPHER_CTX *cipher,
                                         EVP_MAC_CTX *mac, int encrypt) {
    te_ticket_keys *ring = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
    if (ring == NULL) return encrypt ? -1 : 0;
    uint64_t keys[2][TE_TICKET_KEY_WORDS];
    int count = te_ticket_keys_snapshot(ring, keys);
    const unsigned char *key = NULL;
    int result = 0;
    if (encrypt) {
        if (count < 1 || RAND_bytes(iv, 16) != 1) {
            result = -1;
        } else {
            key = (const unsigned char *)keys[0];
            memcpy(key_name, key, TE_TICKET_KEY_NAME);
            result = 1;
        }
    } else {
        for (int k = 0; k < count && key == NULL; k++) {
            if (CRYPTO_memcmp(keys[k], key_name, TE_TICKET_KEY_NAME) == 0) {
                key = (const unsigned char *)keys[k];
                result = k == 0 ? 1 : 2;
            }
        }
    }
    if (key != NULL) {
        char digest[] = "SHA256";
        OSSL_PARAM params[3];
        params[0] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, (void *)(key + 48), 32);
        params[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0);
        params[2] = OSSL_PARAM_construct_end();
        int ok = encrypt ? EVP_EncryptInit_ex(cipher, EVP_aes_256_cbc(), NULL, key + 16, iv)
                         : EVP_DecryptInit_ex(cipher, EVP_aes_256_cbc(), NULL, key + 16, iv);
        if (ok != 1 || EVP_MAC_CTX_set_params(mac, params) != 1) result = -1;
    }
    OPENSSL_cleanse(keys, sizeof keys);
    return result;
}

// Tickets on this context use the shared ring; sessions live as long as a key can decrypt
// them (two rotation periods), and there is no per-context session-ID cache: it would not
// survive a reload and costs a lock per handshake, while tickets resume everywhere.
static inline void te_ssl_ctx_use_ticket_keys(SSL_CTX *ctx, te_ticket_keys *ring, long lifetime_seconds) {
    SSL_CTX_set_app_data(ctx, ring);
    SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, te_ticket_key_callback);
    SSL_CTX_set_timeout(ctx, lifetime_seconds);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
}
#endif
