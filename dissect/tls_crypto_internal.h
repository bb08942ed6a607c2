/* What the key derivation (tls_crypto.c) and the record opener (tls_record_open.c) share: the
 * table of suites this module decrypts. Included only inside dissect/ and by its tests. */
#ifndef TLSSCOPE_TLS_CRYPTO_INTERNAL_H
#define TLSSCOPE_TLS_CRYPTO_INTERNAL_H

#include <stdint.h>

enum tls_aead { TLS_AEAD_GCM, TLS_AEAD_CCM, TLS_AEAD_CHACHA };

struct tls_suite_info {
    uint16_t id;
    uint16_t version; /* 0x0304 or 0x0303 */
    enum tls_aead aead;
    uint8_t key_len;
    uint8_t tag_len;
    const char *hash; /* HKDF hash (TLS 1.3) or PRF hash (TLS 1.2), an OpenSSL digest name */
};

/* tls_suite_info_find: the row of cipher_suite under version, or NULL. */
const struct tls_suite_info *tls_suite_info_find(uint16_t cipher_suite, uint16_t version);

#endif
