/* The Certificate handshake message: walks the chain through the cursor and decodes the leaf
 * (the first entry) with libcrypto into the facts a report needs: subject, issuer, DNS and IP
 * subject alternative names, validity, SHA-256 fingerprint, self-signed or not. This is the only
 * file in dissect/ that uses libcrypto's X.509 code.
 *
 * A chain whose framing is sound but whose leaf is not valid DER still decodes as OK: chain_len
 * and the SHA-256 of the bytes sent are filled, present stays false, and the name fields stay
 * empty. The framing is what the TLS layer promises; a bad leaf is a fact about the peer, not a
 * reason to lose the rest of the handshake. */
#include <arpa/inet.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <string.h>
#include <time.h>

#include "tls_decode_internal.h"

#define SHA256_LEN 32

static void sanitize(char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c >= 0x7f) {
            *s = '?';
        }
    }
}

/* The RFC 2253 one-line form of a name (most significant RDN last, as the RFC prints it), cut
 * to cap-1 bytes, non-printable bytes replaced. */
static void name_oneline(const X509_NAME *name, char *dst, size_t cap)
{
    dst[0] = '\0';
    BIO *bio = BIO_new(BIO_s_mem());
    if (!bio) {
        return;
    }
    if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0) {
        int n = BIO_read(bio, dst, (int)cap - 1);
        dst[n > 0 ? n : 0] = '\0';
        sanitize(dst);
    }
    BIO_free(bio);
}

static bool time_to_epoch(const ASN1_TIME *t, int64_t *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1) {
        return false;
    }
    *out = (int64_t)timegm(&tm);
    return true;
}

static void add_san(struct tls_certificate *out, const char *s, size_t len)
{
    if (out->num_sans >= TLS_MAX_SANS) {
        return;
    }
    size_t n = len < TLS_MAX_NAME - 1 ? len : TLS_MAX_NAME - 1;
    char *dst = out->sans[out->num_sans++];
    memcpy(dst, s, n);
    dst[n] = '\0';
    /* An embedded NUL in a dNSName would hide the rest of the name; show it as '?'. */
    for (size_t i = 0; i < n; i++) {
        if (dst[i] == '\0') {
            dst[i] = '?';
        }
    }
    sanitize(dst);
}

static void read_sans(X509 *x, struct tls_certificate *out)
{
    GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    if (!names) {
        return;
    }
    for (int i = 0; i < sk_GENERAL_NAME_num(names); i++) {
        const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);
        if (gn->type == GEN_DNS) {
            const ASN1_IA5STRING *s = gn->d.dNSName;
            add_san(out, (const char *)ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s));
        } else if (gn->type == GEN_IPADD) {
            const ASN1_OCTET_STRING *ip = gn->d.iPAddress;
            char buf[INET6_ADDRSTRLEN];
            int len = ASN1_STRING_length(ip);
            int af = len == 4 ? AF_INET : len == 16 ? AF_INET6 : 0;
            if (af && inet_ntop(af, ASN1_STRING_get0_data(ip), buf, sizeof(buf))) {
                add_san(out, buf, strlen(buf));
            }
        }
    }
    GENERAL_NAMES_free(names);
}

/* The last leaf decoded, kept because a server sends the same certificate on every full
 * handshake and d2i_X509 costs more than everything else tlsscope does for that connection. A
 * fixed buffer (no allocation); tlsscope dissects on one thread. */
#define LEAF_MEMO_MAX 8192
static struct {
    size_t len;
    uint8_t der[LEAF_MEMO_MAX];
    struct tls_certificate result; /* chain_len is the caller's, not the memo's */
} leaf_memo;

static void decode_leaf_uncached(struct cur der, struct tls_certificate *out);

/* Fills the leaf facts from its DER, from the memo when the bytes are the same. */
static void decode_leaf(struct cur der, struct tls_certificate *out)
{
    uint32_t chain_len = out->chain_len;
    if (leaf_memo.len != 0 && leaf_memo.len == der.len &&
        memcmp(leaf_memo.der, der.p, der.len) == 0) {
        *out = leaf_memo.result;
        out->chain_len = chain_len;
        return;
    }
    decode_leaf_uncached(der, out);
    if (der.len <= LEAF_MEMO_MAX) {
        memcpy(leaf_memo.der, der.p, der.len);
        leaf_memo.len = der.len;
        leaf_memo.result = *out;
    }
}

/* The fingerprint covers the bytes as sent, so it is taken even when libcrypto rejects them. */
static void decode_leaf_uncached(struct cur der, struct tls_certificate *out)
{
    static const char HEX[] = "0123456789abcdef";
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    if (EVP_Digest(der.p, der.len, md, &md_len, EVP_sha256(), NULL) == 1 && md_len == SHA256_LEN) {
        for (unsigned int i = 0; i < md_len; i++) {
            out->sha256[2 * i] = HEX[md[i] >> 4];
            out->sha256[2 * i + 1] = HEX[md[i] & 0xf];
        }
        out->sha256[2 * SHA256_LEN] = '\0';
    }
    const unsigned char *p = der.p;
    X509 *x = d2i_X509(NULL, &p, (long)der.len);
    if (!x) {
        return;
    }
    /* Bytes after the certificate inside its own vector mean the entry is not one DER value. */
    if (p != der.p + der.len) {
        X509_free(x);
        return;
    }
    const X509_NAME *subject = X509_get_subject_name(x);
    const X509_NAME *issuer = X509_get_issuer_name(x);
    name_oneline(subject, out->subject, sizeof(out->subject));
    name_oneline(issuer, out->issuer, sizeof(out->issuer));
    out->self_signed = X509_NAME_cmp(subject, issuer) == 0;
    (void)time_to_epoch(X509_get0_notBefore(x), &out->not_before);
    (void)time_to_epoch(X509_get0_notAfter(x), &out->not_after);
    read_sans(x, out);
    out->present = true;
    X509_free(x);
}

/* RFC 5246 §7.4.2:
 *   opaque ASN.1Cert<1..2^24-1>;
 *   struct { ASN.1Cert certificate_list<0..2^24-1>; } Certificate;
 * RFC 8446 §4.4.2:
 *   struct { opaque cert_data<1..2^24-1>; Extension extensions<0..2^16-1>; } CertificateEntry;
 *   struct { opaque certificate_request_context<0..2^8-1>;
 *            CertificateEntry certificate_list<0..2^24-1>; } Certificate;
 * An empty list (a client without a certificate) is OK with present false. */
enum tls_decode_status tls_decode_certificate(struct cur body, bool tls13,
                                              struct tls_certificate *out)
{
    memset(out, 0, sizeof(*out));
    struct cur context, list, leaf = {NULL, 0};
    if (tls13 && !cur_u8_prefixed(&body, &context)) {
        return TLS_DECODE_TRUNCATED;
    }
    if (!cur_u24_prefixed(&body, &list)) {
        return TLS_DECODE_TRUNCATED;
    }
    if (!cur_empty(&body)) {
        return TLS_DECODE_MALFORMED;
    }
    uint32_t n = 0;
    while (!cur_empty(&list)) {
        struct cur der, exts;
        if (!cur_u24_prefixed(&list, &der) || cur_empty(&der)) {
            return TLS_DECODE_MALFORMED;
        }
        if (tls13) {
            if (!cur_u16_prefixed(&list, &exts)) {
                return TLS_DECODE_MALFORMED;
            }
            while (!cur_empty(&exts)) {
                uint16_t type;
                struct cur data;
                if (!cur_u16(&exts, &type) || !cur_u16_prefixed(&exts, &data)) {
                    return TLS_DECODE_MALFORMED;
                }
            }
        }
        if (n++ == 0) {
            leaf = der;
        }
    }
    out->chain_len = n;
    if (n > 0) {
        decode_leaf(leaf, out);
    }
    return TLS_DECODE_OK;
}
