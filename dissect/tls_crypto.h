/* Record protection for key-log decryption: the suites this module decrypts, the traffic keys
 * derived from a TLS 1.3 traffic secret (RFC 8446 §7.1-7.3) or a TLS 1.2 master secret
 * (RFC 5246 §5, §6.3), and the opening of one AEAD-protected record (RFC 8446 §5.2-5.3,
 * RFC 5246 §6.2.3.3 with RFC 5288, RFC 6655 and RFC 7905). Stateless: the caller keeps the keys
 * per direction and epoch and counts the sequence numbers. */
#ifndef TLSSCOPE_TLS_CRYPTO_H
#define TLSSCOPE_TLS_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TLS_CRYPTO_VERSION_12 0x0303
#define TLS_CRYPTO_VERSION_13 0x0304

/* One direction, one epoch. Holds no heap memory: copy it freely, drop it without a free. */
struct tls_record_keys {
    uint16_t cipher_suite;
    uint16_t version;       /* 0x0304 for TLS 1.3, 0x0303 for TLS 1.2 */
    const void *evp_cipher; /* const EVP_CIPHER *, one of libcrypto's static ciphers */
    uint8_t key[32], iv[12];
    uint8_t key_len;
    uint8_t iv_len; /* 12 for TLS 1.3 and ChaCha20; 4 (the implicit salt) for TLS 1.2 GCM/CCM */
    uint8_t tag_len;
    bool explicit_nonce; /* TLS 1.2 GCM/CCM: an 8-byte explicit nonce opens the record body */
};

/* tls_suite_supported: true when cipher_suite under version (0x0304 or 0x0303) is one this
 * module decrypts: TLS 1.3 0x1301-0x1305; TLS 1.2 AEAD suites with AES-128/256-GCM,
 * ChaCha20-Poly1305 and AES-128/256-CCM(_8). CBC suites and other versions: false. */
bool tls_suite_supported(uint16_t cipher_suite, uint16_t version);

/* tls13_traffic_keys: the record key and iv of a TLS 1.3 traffic secret (HKDF-Expand-Label
 * "key" and "iv" with the suite's hash, RFC 8446 §7.3) in *out. False, *out untouched, when the
 * suite is not a TLS 1.3 one, secret_len is not the suite's hash length, or libcrypto fails. */
bool tls13_traffic_keys(uint16_t cipher_suite, const uint8_t *secret, size_t secret_len,
                        struct tls_record_keys *out);

/* tls12_keys: the client_write and server_write keys of a TLS 1.2 AEAD connection from its
 * master secret: the key block is PRF(master, "key expansion", server_random + client_random)
 * with the suite's PRF hash (RFC 5246 §6.3; AEAD suites have no MAC keys). False, both outputs
 * untouched, when tls_suite_supported(cipher_suite, version) is false or libcrypto fails. */
bool tls12_keys(uint16_t cipher_suite, uint16_t version, const uint8_t master[48],
                const uint8_t client_random[32], const uint8_t server_random[32],
                struct tls_record_keys *client_write, struct tls_record_keys *server_write);

/* tls_record_open: decrypts and authenticates one record. hdr is its 5-byte header as on the
 * wire (its length must equal body_len), body its body, seq its sequence number in its epoch.
 * On success the plaintext is in out[0..*out_len) and true is returned: TLS 1.3 with the
 * padding and inner content type stripped and *inner_type set to it (RFC 8446 §5.2); TLS 1.2
 * with *inner_type = hdr[0]. False, when the tag does not verify, the record is malformed (too
 * short for nonce and tag, longer than RFC 8446 §5.2 or RFC 5246 §6.2.3 allow, a TLS 1.3
 * plaintext of zeros only)
 * or the ciphertext does not fit in out_cap; out may then hold garbage and *out_len and
 * *inner_type are untouched. Never reads past body_len. out must not overlap body.
 * Cost: one EVP_CIPHER_CTX and its key schedule per call (~1-2 us), fine for a few records per
 * connection; a per-direction cached context is the step up if every record gets opened. */
bool tls_record_open(const struct tls_record_keys *k, uint64_t seq, const uint8_t hdr[5],
                     const uint8_t *body, size_t body_len, uint8_t *out, size_t out_cap,
                     size_t *out_len, uint8_t *inner_type);

#endif
