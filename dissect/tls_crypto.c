/* The suites key-log decryption handles and the traffic keys it derives from secrets: TLS 1.3
 * HKDF-Expand-Label (RFC 8446 §7.1, §7.3) and the TLS 1.2 key block (RFC 5246 §5, §6.3). This
 * file and tls_record_open.c are the only users of libcrypto's KDF and cipher APIs. */
#include "tls_crypto.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "tls_crypto_internal.h"
#include "writer.h"

#define V13 TLS_CRYPTO_VERSION_13
#define V12 TLS_CRYPTO_VERSION_12

/* TLS 1.3: RFC 8446 §B.4. TLS 1.2: RFC 5288 §3 and RFC 5289 §3.2 (GCM, PRF hash = the suite's),
 * RFC 7905 §2 (ChaCha20-Poly1305, SHA-256), RFC 6655 §3 and RFC 7251 §2 (CCM, SHA-256; _8 has
 * an 8-byte tag). */
static const struct tls_suite_info SUITES[] = {
    {0x1301, V13, TLS_AEAD_GCM, 16, 16, "SHA256"},
    {0x1302, V13, TLS_AEAD_GCM, 32, 16, "SHA384"},
    {0x1303, V13, TLS_AEAD_CHACHA, 32, 16, "SHA256"},
    {0x1304, V13, TLS_AEAD_CCM, 16, 16, "SHA256"},
    {0x1305, V13, TLS_AEAD_CCM, 16, 8, "SHA256"},
    {0x009c, V12, TLS_AEAD_GCM, 16, 16, "SHA256"},    /* RSA_WITH_AES_128_GCM_SHA256 */
    {0x009d, V12, TLS_AEAD_GCM, 32, 16, "SHA384"},    /* RSA_WITH_AES_256_GCM_SHA384 */
    {0x009e, V12, TLS_AEAD_GCM, 16, 16, "SHA256"},    /* DHE_RSA_WITH_AES_128_GCM_SHA256 */
    {0x009f, V12, TLS_AEAD_GCM, 32, 16, "SHA384"},    /* DHE_RSA_WITH_AES_256_GCM_SHA384 */
    {0xc02b, V12, TLS_AEAD_GCM, 16, 16, "SHA256"},    /* ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 */
    {0xc02c, V12, TLS_AEAD_GCM, 32, 16, "SHA384"},    /* ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 */
    {0xc02f, V12, TLS_AEAD_GCM, 16, 16, "SHA256"},    /* ECDHE_RSA_WITH_AES_128_GCM_SHA256 */
    {0xc030, V12, TLS_AEAD_GCM, 32, 16, "SHA384"},    /* ECDHE_RSA_WITH_AES_256_GCM_SHA384 */
    {0xcca8, V12, TLS_AEAD_CHACHA, 32, 16, "SHA256"}, /* ECDHE_RSA_WITH_CHACHA20_POLY1305 */
    {0xcca9, V12, TLS_AEAD_CHACHA, 32, 16, "SHA256"}, /* ECDHE_ECDSA_WITH_CHACHA20_POLY1305 */
    {0xccaa, V12, TLS_AEAD_CHACHA, 32, 16, "SHA256"}, /* DHE_RSA_WITH_CHACHA20_POLY1305 */
    {0xc09c, V12, TLS_AEAD_CCM, 16, 16, "SHA256"},    /* RSA_WITH_AES_128_CCM */
    {0xc09d, V12, TLS_AEAD_CCM, 32, 16, "SHA256"},    /* RSA_WITH_AES_256_CCM */
    {0xc09e, V12, TLS_AEAD_CCM, 16, 16, "SHA256"},    /* DHE_RSA_WITH_AES_128_CCM */
    {0xc09f, V12, TLS_AEAD_CCM, 32, 16, "SHA256"},    /* DHE_RSA_WITH_AES_256_CCM */
    {0xc0a0, V12, TLS_AEAD_CCM, 16, 8, "SHA256"},     /* RSA_WITH_AES_128_CCM_8 */
    {0xc0a1, V12, TLS_AEAD_CCM, 32, 8, "SHA256"},     /* RSA_WITH_AES_256_CCM_8 */
    {0xc0a2, V12, TLS_AEAD_CCM, 16, 8, "SHA256"},     /* DHE_RSA_WITH_AES_128_CCM_8 */
    {0xc0a3, V12, TLS_AEAD_CCM, 32, 8, "SHA256"},     /* DHE_RSA_WITH_AES_256_CCM_8 */
    {0xc0ac, V12, TLS_AEAD_CCM, 16, 16, "SHA256"},    /* ECDHE_ECDSA_WITH_AES_128_CCM */
    {0xc0ad, V12, TLS_AEAD_CCM, 32, 16, "SHA256"},    /* ECDHE_ECDSA_WITH_AES_256_CCM */
    {0xc0ae, V12, TLS_AEAD_CCM, 16, 8, "SHA256"},     /* ECDHE_ECDSA_WITH_AES_128_CCM_8 */
    {0xc0af, V12, TLS_AEAD_CCM, 32, 8, "SHA256"},     /* ECDHE_ECDSA_WITH_AES_256_CCM_8 */
};

const struct tls_suite_info *tls_suite_info_find(uint16_t cipher_suite, uint16_t version)
{
    for (size_t i = 0; i < sizeof(SUITES) / sizeof(SUITES[0]); i++) {
        if (SUITES[i].id == cipher_suite && SUITES[i].version == version) {
            return &SUITES[i];
        }
    }
    return NULL;
}

bool tls_suite_supported(uint16_t cipher_suite, uint16_t version)
{
    return tls_suite_info_find(cipher_suite, version) != NULL;
}

static const EVP_CIPHER *suite_cipher(const struct tls_suite_info *s)
{
    switch (s->aead) {
    case TLS_AEAD_GCM:
        return s->key_len == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm();
    case TLS_AEAD_CCM:
        return s->key_len == 16 ? EVP_aes_128_ccm() : EVP_aes_256_ccm();
    case TLS_AEAD_CHACHA:
        return EVP_chacha20_poly1305();
    }
    return NULL;
}

static void keys_init(const struct tls_suite_info *s, struct tls_record_keys *k)
{
    memset(k, 0, sizeof(*k));
    k->cipher_suite = s->id;
    k->version = s->version;
    k->evp_cipher = suite_cipher(s);
    k->key_len = s->key_len;
    k->tag_len = s->tag_len;
    /* TLS 1.3 and ChaCha20 (RFC 7905 §2) XOR the sequence number into a 12-byte IV; TLS 1.2
     * GCM and CCM send 8 of the 12 nonce bytes in the record (RFC 5288 §3, RFC 6655 §3). */
    k->explicit_nonce = s->version == V12 && s->aead != TLS_AEAD_CHACHA;
    k->iv_len = k->explicit_nonce ? 4 : 12;
}

/* One HKDF or TLS1-PRF run through EVP_KDF; params ends with OSSL_PARAM_END. */
static bool kdf_run(const char *name, OSSL_PARAM *params, uint8_t *out, size_t out_len)
{
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, name, NULL);
    EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    bool ok = ctx && EVP_KDF_derive(ctx, out, out_len, params) > 0;
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    return ok;
}

/* HKDF-Expand-Label(secret, label, "", out_len), RFC 8446 §7.1:
 *   struct { uint16 length; opaque label<7..255> = "tls13 " + Label; opaque context<0..255>; } */
static bool expand_label(const char *hash, const uint8_t *secret, size_t secret_len,
                         const char *label, uint8_t *out, size_t out_len)
{
    uint8_t info[2 + 1 + 255 + 1];
    struct wr w;
    wr_init(&w, info, sizeof(info));
    size_t label_len = strlen(label);
    (void)(wr_u16(&w, (uint16_t)out_len) && wr_u8(&w, (uint8_t)(6 + label_len)) &&
           wr_bytes(&w, "tls13 ", 6) && wr_bytes(&w, label, label_len) && wr_u8(&w, 0));
    if (!wr_ok(&w)) {
        return false;
    }
    int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)hash, 0),
        OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)secret, secret_len),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, wr_len(&w)),
        OSSL_PARAM_construct_end(),
    };
    return kdf_run("HKDF", params, out, out_len);
}

bool tls13_traffic_keys(uint16_t cipher_suite, const uint8_t *secret, size_t secret_len,
                        struct tls_record_keys *out)
{
    const struct tls_suite_info *s = tls_suite_info_find(cipher_suite, V13);
    const EVP_MD *md = s ? EVP_get_digestbyname(s->hash) : NULL;
    /* The traffic secrets are Derive-Secret outputs, Hash.length bytes long (RFC 8446 §7.1). */
    if (!md || secret == NULL || secret_len != (size_t)EVP_MD_get_size(md)) {
        return false;
    }
    struct tls_record_keys k;
    keys_init(s, &k);
    if (!expand_label(s->hash, secret, secret_len, "key", k.key, k.key_len) ||
        !expand_label(s->hash, secret, secret_len, "iv", k.iv, k.iv_len)) {
        return false;
    }
    *out = k;
    return true;
}

bool tls12_keys(uint16_t cipher_suite, uint16_t version, const uint8_t master[48],
                const uint8_t client_random[32], const uint8_t server_random[32],
                struct tls_record_keys *client_write, struct tls_record_keys *server_write)
{
    const struct tls_suite_info *s = tls_suite_info_find(cipher_suite, version);
    if (!s || s->version != V12) {
        return false;
    }
    struct tls_record_keys c, sv;
    keys_init(s, &c);
    keys_init(s, &sv);
    /* RFC 5246 §6.3: key_block = PRF(master, "key expansion", server_random + client_random),
     * the seed in that order (the master secret's own seed has the client's first). */
    static const char LABEL[] = "key expansion"; /* without its NUL */
    uint8_t seed[sizeof(LABEL) - 1 + 32 + 32];
    struct wr w;
    wr_init(&w, seed, sizeof(seed));
    if (!wr_bytes(&w, LABEL, sizeof(LABEL) - 1) || !wr_bytes(&w, server_random, 32) ||
        !wr_bytes(&w, client_random, 32)) {
        return false;
    }
    /* client_write_key, server_write_key, client_write_IV, server_write_IV: MAC keys are empty
     * for AEAD suites (RFC 5246 §6.2.3.3). At most 2 * 32 + 2 * 12 bytes. */
    uint8_t block[2 * 32 + 2 * 12];
    size_t block_len = 2 * (size_t)c.key_len + 2 * (size_t)c.iv_len;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)s->hash, 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, (void *)master, 48),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, seed, sizeof(seed)),
        OSSL_PARAM_construct_end(),
    };
    if (!kdf_run("TLS1-PRF", params, block, block_len)) {
        return false;
    }
    const uint8_t *p = block;
    memcpy(c.key, p, c.key_len);
    p += c.key_len;
    memcpy(sv.key, p, sv.key_len);
    p += sv.key_len;
    memcpy(c.iv, p, c.iv_len);
    p += c.iv_len;
    memcpy(sv.iv, p, sv.iv_len);
    OPENSSL_cleanse(block, sizeof(block));
    *client_write = c;
    *server_write = sv;
    return true;
}
