/* Client and server fingerprints computed from decoded hellos: JA3 and JA3S (Salesforce, MD5 of
 * a decimal field string), JA4 for TLS over TCP (FoxIO technical_details/JA4.md), and the short
 * SHA-256 digest used to identify tickets and PSK identities without printing them. The strings
 * hashed are built on the stack with the bounded writer, without printf (this runs on every
 * connection and printf was a third of the dissector's time); every list is capped by the
 * decoder, so each buffer is sized for its caps and a full buffer is a programming error that
 * ends the string early, never overflows. */
/* MD5_* and SHA256_*: see digest_bytes. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <glib.h>
#include <openssl/md5.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "tls_decode_internal.h"
#include "writer.h"

#define JA4_HASH_LEN 12  /* JA4.md: sha256 truncated to 12 hex characters */
#define JA4_MAX_COUNT 99 /* JA4.md: counts above 99 print as "99" */

static uint32_t kept(uint32_t num, uint32_t cap)
{
    return num < cap ? num : cap;
}

/* Digests come from OpenSSL's per-algorithm functions (its SHA-NI and AVX2 code), not GLib's
 * portable GChecksum nor EVP, whose per-digest setup outweighs hashing a short input: every
 * connection hashes its JA3, JA3S, both JA4 lists and its tickets (bench/RESULTS.md). They are
 * deprecated in OpenSSL 3 but run the same hashing code EVP does. */
static size_t digest_bytes(GChecksumType type, const uint8_t *data, size_t len, uint8_t out[32])
{
    if (type == G_CHECKSUM_MD5) {
        MD5_CTX c;
        MD5_Init(&c);
        MD5_Update(&c, data, len);
        MD5_Final(out, &c);
        return MD5_DIGEST_LENGTH;
    }
    SHA256_CTX c;
    SHA256_Init(&c);
    SHA256_Update(&c, data, len);
    SHA256_Final(out, &c);
    return SHA256_DIGEST_LENGTH;
}

/* Lowercase hex of n bytes into out (2n + 1 bytes, NUL-terminated). */
static void hex_bytes(const uint8_t *d, size_t n, char *out)
{
    struct wr w;
    wr_init_text(&w, out, 2 * n + 1);
    wr_hex_bytes(&w, d, n);
    wr_cstr(&w);
}

/* Lowercase hex of the digest of what t holds into out (65 bytes for SHA-256, 33 for MD5). */
static void hash_hex(GChecksumType type, const struct wr *t, char *out)
{
    uint8_t d[32];
    size_t n = digest_bytes(type, wr_data(t), wr_len(t), d);
    hex_bytes(d, n, out);
}

/* Appends the non-GREASE values of a list in decimal, '-' separated (JA3: GREASE is ignored in
 * every list, as in the Salesforce reference and Wireshark). */
static void ja3_list16(struct wr *t, const uint16_t *v, uint32_t n)
{
    bool first = true;
    for (uint32_t i = 0; i < n; i++) {
        if (tls_is_grease(v[i])) {
            continue;
        }
        if (!first) {
            wr_char(t, '-');
        }
        wr_dec(t, v[i]);
        first = false;
    }
}

/* Six bytes per list entry ("65535-") bounds every JA3/JA3S string. */
#define JA3_MAX_LEN                                                                                \
    (6 * (2 + TLS_CH_MAX_CIPHERS + TLS_MAX_EXTS + TLS_MAX_GROUPS + TLS_MAX_POINT_FORMATS) + 8)

/* JA3 = MD5("SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats"), the
 * version being the ClientHello legacy_version. */
void tls_ja3(const struct tls_client_hello *ch, char out_hash[33], char *out_str, size_t str_len)
{
    uint8_t buf[JA3_MAX_LEN];
    struct wr s;
    wr_init(&s, buf, sizeof(buf));
    wr_dec(&s, ch->legacy_version);
    wr_char(&s, ',');
    ja3_list16(&s, ch->ciphers, kept(ch->num_ciphers, TLS_CH_MAX_CIPHERS));
    wr_char(&s, ',');
    ja3_list16(&s, ch->exts, kept(ch->num_exts, TLS_MAX_EXTS));
    wr_char(&s, ',');
    ja3_list16(&s, ch->groups, kept(ch->num_groups, TLS_MAX_GROUPS));
    wr_char(&s, ',');
    for (uint32_t i = 0; i < kept(ch->num_point_formats, TLS_MAX_POINT_FORMATS); i++) {
        if (i > 0) {
            wr_char(&s, '-');
        }
        wr_dec(&s, ch->point_formats[i]);
    }
    hash_hex(G_CHECKSUM_MD5, &s, out_hash);
    if (out_str && str_len > 0) {
        /* The caller's copy is cut to its buffer; the hash is of the whole string. */
        size_t n = MIN(wr_len(&s), str_len - 1);
        memcpy(out_str, buf, n);
        out_str[n] = '\0';
    }
}

/* JA3S = MD5("SSLVersion,Cipher,Extensions"). */
void tls_ja3s(const struct tls_server_hello *sh, char out_hash[33])
{
    uint8_t buf[JA3_MAX_LEN];
    struct wr s;
    wr_init(&s, buf, sizeof(buf));
    wr_dec(&s, sh->legacy_version);
    wr_char(&s, ',');
    wr_dec(&s, sh->cipher);
    wr_char(&s, ',');
    ja3_list16(&s, sh->exts, kept(sh->num_exts, TLS_MAX_EXTS));
    hash_hex(G_CHECKSUM_MD5, &s, out_hash);
}

/* JA4.md "TLS and DTLS Version": two characters, "00" when unknown. */
static const char *ja4_version(uint16_t v)
{
    switch (v) {
    case 0x0304:
        return "13";
    case 0x0303:
        return "12";
    case 0x0302:
        return "11";
    case 0x0301:
        return "10";
    case 0x0300:
        return "s3";
    case 0x0002:
        return "s2";
    case 0xfeff:
        return "d1";
    case 0xfefd:
        return "d2";
    case 0xfefc:
        return "d3";
    default:
        return "00";
    }
}

/* Insertion sort: the lists are a few dozen entries at most (capped by the decoder), where it
 * beats qsort's merge sort and its comparison calls. */
static void sort_u16(uint16_t *v, uint32_t n)
{
    for (uint32_t i = 1; i < n; i++) {
        uint16_t x = v[i];
        uint32_t j = i;
        while (j > 0 && v[j - 1] > x) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
}

/* Copies the non-GREASE values of v (minus SNI and ALPN when drop_sni_alpn) into dst. */
static uint32_t ja4_filter(const uint16_t *v, uint32_t n, bool drop_sni_alpn, uint16_t *dst)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (tls_is_grease(v[i])) {
            continue;
        }
        if (drop_sni_alpn && (v[i] == TLS_EXT_SERVER_NAME || v[i] == TLS_EXT_ALPN)) {
            continue;
        }
        dst[k++] = v[i];
    }
    return k;
}

static void hex_list(struct wr *t, const uint16_t *v, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        if (i > 0) {
            wr_char(t, ',');
        }
        wr_hex(t, v[i], 4);
    }
}

/* Five bytes per entry ("abcd,") bounds every JA4 hashed list. */
#define JA4_MAX_LEN (5 * (TLS_CH_MAX_CIPHERS + TLS_MAX_EXTS + TLS_MAX_SIGALGS) + 2)

static bool is_alnum(uint8_t b)
{
    return (b >= '0' && b <= '9') || (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z');
}

/* JA4.md "ALPN Extension Value": first and last character of the first ALPN name, "00" without
 * one; when either end byte is not alphanumeric, the first and last hex digit of the name's hex
 * form instead (the high nibble of the first byte, the low nibble of the last). */
static void ja4_alpn(const struct tls_client_hello *ch, char out[3])
{
    uint8_t first = ch->alpn_first_byte, last = ch->alpn_last_byte;
    if (ch->num_alpn == 0) {
        out[0] = '0';
        out[1] = '0';
    } else if (is_alnum(first) && is_alnum(last)) {
        out[0] = (char)first;
        out[1] = (char)last;
    } else {
        out[0] = WR_HEX_DIGITS[first >> 4];
        out[1] = WR_HEX_DIGITS[last & 0xf];
    }
    out[2] = '\0';
}

/* JA4 (TLS over TCP): a_b_c with
 *   a = "t" + version + ('d' SNI / 'i' none) + cipher count + extension count + ALPN ends,
 *   b = sha256 of the sorted cipher list ("%04x" comma-separated), 12 hex digits,
 *   c = sha256 of the sorted extension list without SNI and ALPN, then '_' and the signature
 *       algorithms in wire order when there are any, 12 hex digits.
 * GREASE is ignored everywhere; an empty list hashes to "000000000000". The version is the
 * highest non-GREASE supported_versions entry, else legacy_version. */
void tls_ja4(const struct tls_client_hello *ch, char out[40])
{
    uint16_t ciphers[TLS_CH_MAX_CIPHERS], exts[TLS_MAX_EXTS], sigalgs[TLS_MAX_SIGALGS];
    uint16_t version = ch->legacy_version;
    uint32_t num_versions = kept(ch->num_versions, TLS_MAX_VERSIONS);
    bool have_version = false;
    for (uint32_t i = 0; i < num_versions; i++) {
        uint16_t v = ch->versions[i];
        if (!tls_is_grease(v) && (!have_version || v > version)) {
            version = v;
            have_version = true;
        }
    }
    uint32_t num_ciphers =
        ja4_filter(ch->ciphers, kept(ch->num_ciphers, TLS_CH_MAX_CIPHERS), false, ciphers);
    /* JA4.md "SNI": 'd' when the server_name extension exists, whatever it holds. */
    bool sni = ch->has_sni;
    uint32_t num_exts_all = 0;
    for (uint32_t i = 0; i < kept(ch->num_exts, TLS_MAX_EXTS); i++) {
        num_exts_all += tls_is_grease(ch->exts[i]) ? 0 : 1;
        sni = sni || ch->exts[i] == TLS_EXT_SERVER_NAME;
    }
    uint32_t num_exts = ja4_filter(ch->exts, kept(ch->num_exts, TLS_MAX_EXTS), true, exts);
    uint32_t num_sigalgs =
        ja4_filter(ch->sigalgs, kept(ch->num_sigalgs, TLS_MAX_SIGALGS), false, sigalgs);
    sort_u16(ciphers, num_ciphers);
    sort_u16(exts, num_exts);

    char alpn[3];
    ja4_alpn(ch, alpn);
    char b[JA4_HASH_LEN + 1] = "000000000000";
    char c[JA4_HASH_LEN + 1] = "000000000000";
    char full[65];
    uint8_t buf[JA4_MAX_LEN];
    struct wr s;
    if (num_ciphers > 0) {
        wr_init(&s, buf, sizeof(buf));
        hex_list(&s, ciphers, num_ciphers);
        hash_hex(G_CHECKSUM_SHA256, &s, full);
        memcpy(b, full, JA4_HASH_LEN);
    }
    if (num_exts > 0) {
        wr_init(&s, buf, sizeof(buf));
        hex_list(&s, exts, num_exts);
        if (num_sigalgs > 0) {
            wr_char(&s, '_');
            hex_list(&s, sigalgs, num_sigalgs);
        }
        hash_hex(G_CHECKSUM_SHA256, &s, full);
        memcpy(c, full, JA4_HASH_LEN);
    }
    /* 36 characters: every part has a fixed width (the counts are capped at two digits). */
    struct wr o;
    wr_init_text(&o, out, 40);
    wr_char(&o, 't');
    wr_str(&o, ja4_version(version));
    wr_char(&o, sni ? 'd' : 'i');
    wr_dec_min(&o, num_ciphers > JA4_MAX_COUNT ? JA4_MAX_COUNT : num_ciphers, 2);
    wr_dec_min(&o, num_exts_all > JA4_MAX_COUNT ? JA4_MAX_COUNT : num_exts_all, 2);
    wr_str(&o, alpn);
    wr_char(&o, '_');
    wr_str(&o, b);
    wr_char(&o, '_');
    wr_str(&o, c);
    wr_cstr(&o);
}

void tls_sha256(const uint8_t *data, size_t len, uint8_t out[32])
{
    digest_bytes(G_CHECKSUM_SHA256, data, len, out);
}

void tls_digest8(const uint8_t *data, size_t len, char out[17])
{
    uint8_t digest[32];
    digest_bytes(G_CHECKSUM_SHA256, data, len, digest);
    hex_bytes(digest, 8, out);
}
