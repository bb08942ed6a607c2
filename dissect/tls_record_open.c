/* Opening one AEAD-protected TLS record: nonce and additional data as TLS 1.3 (RFC 8446 §5.2,
 * §5.3) or TLS 1.2 (RFC 5246 §6.2.3.3; GCM RFC 5288 §3, CCM RFC 6655 §3, ChaCha20-Poly1305
 * RFC 7905 §2) build them, the tag checked by libcrypto, the TLS 1.3 inner plaintext unpadded.
 * The record bytes are untrusted: they are split with the cursor only. */
#include "tls_crypto.h"

#include <string.h>

#include <openssl/evp.h>

#include "cursor.h"
#include "tls_crypto_internal.h"
#include "writer.h"

/* The longest record bodies: 2^14 + 256 (RFC 8446 §5.2), 2^14 + 2048 (RFC 5246 §6.2.3). */
#define TLS13_MAX_CIPHERTEXT_LEN (16384 + 256)
#define TLS12_MAX_CIPHERTEXT_LEN (16384 + 2048)
#define TLS_CRYPTO_EXPLICIT_NONCE_LEN 8

/* RFC 8446 §5.3 and RFC 7905 §2: the 64-bit sequence number, left-padded to the IV length,
 * XORed into the IV. */
static void xor_seq(uint8_t nonce[12], const uint8_t iv[12], uint64_t seq)
{
    memcpy(nonce, iv, 12);
    for (int i = 0; i < 8; i++) {
        nonce[11 - i] ^= (uint8_t)(seq >> (8 * i));
    }
}

/* One AEAD decryption; true only when the tag verifies. CCM must know the lengths before the
 * data and takes the tag at init (EVP's CCM interface); GCM and ChaCha20 take it at the end. */
static bool aead_open(const struct tls_record_keys *k, enum tls_aead aead, const uint8_t nonce[12],
                      const uint8_t *aad, size_t aad_len, const uint8_t *ct, size_t ct_len,
                      const uint8_t *tag, uint8_t *out)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0;
    bool ok = ctx &&
              EVP_DecryptInit_ex(ctx, (const EVP_CIPHER *)k->evp_cipher, NULL, NULL, NULL) > 0 &&
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) > 0;
    if (ok && aead == TLS_AEAD_CCM) {
        ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, k->tag_len, (void *)tag) > 0 &&
             EVP_DecryptInit_ex(ctx, NULL, NULL, k->key, nonce) > 0 &&
             EVP_DecryptUpdate(ctx, NULL, &n, NULL, (int)ct_len) > 0 &&
             EVP_DecryptUpdate(ctx, NULL, &n, aad, (int)aad_len) > 0 &&
             /* CCM verifies the tag in this one update; there is no final step. */
             EVP_DecryptUpdate(ctx, out, &n, ct, (int)ct_len) > 0;
    } else if (ok) {
        ok = EVP_DecryptInit_ex(ctx, NULL, NULL, k->key, nonce) > 0 &&
             EVP_DecryptUpdate(ctx, NULL, &n, aad, (int)aad_len) > 0 &&
             EVP_DecryptUpdate(ctx, out, &n, ct, (int)ct_len) > 0 &&
             EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, k->tag_len, (void *)tag) > 0 &&
             EVP_DecryptFinal_ex(ctx, out + n, &n) > 0;
    }
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

bool tls_record_open(const struct tls_record_keys *k, uint64_t seq, const uint8_t hdr[5],
                     const uint8_t *body, size_t body_len, uint8_t *out, size_t out_cap,
                     size_t *out_len, uint8_t *inner_type)
{
    const struct tls_suite_info *s = k ? tls_suite_info_find(k->cipher_suite, k->version) : NULL;
    if (!s || !k->evp_cipher || !hdr || (!body && body_len > 0)) {
        return false;
    }
    /* struct { ContentType type; ProtocolVersion version; uint16 length; } (RFC 5246 §6.2.1) */
    struct cur h = cur_make(hdr, 5);
    uint8_t type;
    uint16_t version, length;
    if (!cur_u8(&h, &type) || !cur_u16(&h, &version) || !cur_u16(&h, &length) ||
        length != body_len ||
        body_len > (s->version == TLS_CRYPTO_VERSION_13 ? TLS13_MAX_CIPHERTEXT_LEN
                                                        : TLS12_MAX_CIPHERTEXT_LEN)) {
        return false;
    }
    struct cur c = cur_make(body, body_len);
    uint8_t nonce[12];
    if (k->explicit_nonce) {
        /* GCMNonce / CCMNonce = salt[4] (client/server_write_IV) + nonce_explicit[8]. */
        memcpy(nonce, k->iv, 4);
        if (!cur_copy(&c, nonce + 4, TLS_CRYPTO_EXPLICIT_NONCE_LEN)) {
            return false;
        }
    } else {
        xor_seq(nonce, k->iv, seq);
    }
    if (cur_len(&c) < k->tag_len) {
        return false;
    }
    size_t ct_len = cur_len(&c) - k->tag_len;
    const uint8_t *ct, *tag;
    if (!cur_bytes(&c, ct_len, &ct) || !cur_bytes(&c, k->tag_len, &tag) || ct_len > out_cap) {
        return false;
    }
    /* TLS 1.3 (RFC 8446 §5.2): additional_data is the record header itself. TLS 1.2 (RFC 5246
     * §6.2.3.3): seq_num + type + version + the plaintext's length. */
    uint8_t aad[13];
    struct wr w;
    wr_init(&w, aad, sizeof(aad));
    if (s->version == TLS_CRYPTO_VERSION_13) {
        (void)wr_bytes(&w, hdr, 5);
    } else {
        (void)(wr_u32(&w, (uint32_t)(seq >> 32)) && wr_u32(&w, (uint32_t)seq) && wr_u8(&w, type) &&
               wr_u16(&w, version) && wr_u16(&w, (uint16_t)ct_len));
    }
    if (!wr_ok(&w) || !aead_open(k, s->aead, nonce, aad, wr_len(&w), ct, ct_len, tag, out)) {
        return false;
    }
    if (s->version != TLS_CRYPTO_VERSION_13) {
        *out_len = ct_len;
        *inner_type = type;
        return true;
    }
    /* TLSInnerPlaintext = content || ContentType type || uint8 zeros[length_of_padding]: the
     * type is the last non-zero byte; all zeros is an unexpected_message (RFC 8446 §5.4). */
    size_t n = ct_len;
    while (n > 0 && out[n - 1] == 0) {
        n--;
    }
    if (n == 0) {
        return false;
    }
    *inner_type = out[n - 1];
    *out_len = n - 1;
    return true;
}
