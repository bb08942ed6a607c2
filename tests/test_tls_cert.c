/* Tests of dissect/tls_cert.c: the Certificate messages of samples/lab/cap.pcap (TLS 1.2 in
 * the clear, TLS 1.3 decrypted with the key log) against tshark and the openssl CLI, a
 * two-certificate chain with subject alternative names made for this test, the documented
 * "malformed leaf" outcome, empty and maximal shapes, every prefix, length +-1 and hostile
 * lengths, and a byte-flip sweep over a real leaf that must never crash. */
#include "tls_test_build.h"
#include "tls_vectors.h"

#include "tls_decode_internal.h"

#define LIST(a) a, sizeof(a) / sizeof(a[0])

/* A leaf and its issuing CA, generated once with the openssl CLI (EC P-256):
 *   openssl req -x509 -new -key ca.key -subj "/O=tlsscope tests/CN=Test CA" -days 3650
 *   openssl req -new -key leaf.key -subj "/C=DE/O=Example, Inc/CN=leaf.example"
 *   openssl x509 -req -CA ca.pem -CAkey ca.key -days 398 -extfile ext.cnf  with
 *   subjectAltName=DNS:leaf.example,DNS:*.leaf.example,IP:192.0.2.7,IP:2001:db8::7,
 *                  email:a@b.example
 * Expected values: openssl x509 -inform der -noout -subject -issuer -nameopt RFC2253 -dates
 * -fingerprint -sha256 -ext subjectAltName; dates as epoch via date -u -d ... +%s. */
/* openssl x509 -req ... leaf.example, signed by TEST_CA_DER (see the file comment) */
static const uint8_t LEAF_DER[] = {
    0x30, 0x82, 0x01, 0xfa, 0x30, 0x82, 0x01, 0xa0, 0xa0, 0x03, 0x02, 0x01, 0x02, 0x02, 0x14, 0x24,
    0x9a, 0x8e, 0x0a, 0xd1, 0xc0, 0xea, 0x14, 0xea, 0xb0, 0x55, 0x8e, 0x0c, 0x4b, 0x93, 0xc5, 0xfe,
    0x13, 0x5c, 0x92, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x30,
    0x2b, 0x31, 0x17, 0x30, 0x15, 0x06, 0x03, 0x55, 0x04, 0x0a, 0x0c, 0x0e, 0x74, 0x6c, 0x73, 0x73,
    0x63, 0x6f, 0x70, 0x65, 0x20, 0x74, 0x65, 0x73, 0x74, 0x73, 0x31, 0x10, 0x30, 0x0e, 0x06, 0x03,
    0x55, 0x04, 0x03, 0x0c, 0x07, 0x54, 0x65, 0x73, 0x74, 0x20, 0x43, 0x41, 0x30, 0x1e, 0x17, 0x0d,
    0x32, 0x36, 0x31, 0x31, 0x32, 0x33, 0x31, 0x32, 0x33, 0x39, 0x35, 0x31, 0x5a, 0x17, 0x0d, 0x32,
    0x37, 0x31, 0x32, 0x32, 0x36, 0x31, 0x32, 0x33, 0x39, 0x35, 0x31, 0x5a, 0x30, 0x3b, 0x31, 0x0b,
    0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x06, 0x13, 0x02, 0x44, 0x45, 0x31, 0x15, 0x30, 0x13, 0x06,
    0x03, 0x55, 0x04, 0x0a, 0x0c, 0x0c, 0x45, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2c, 0x20, 0x49,
    0x6e, 0x63, 0x31, 0x15, 0x30, 0x13, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x0c, 0x6c, 0x65, 0x61,
    0x66, 0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
    0x03, 0x42, 0x00, 0x04, 0xe5, 0xc1, 0x85, 0x8c, 0x8c, 0x51, 0x46, 0xf7, 0x5e, 0x37, 0x5f, 0xe8,
    0x5b, 0x8c, 0x09, 0xd4, 0x4d, 0x58, 0x3f, 0x7e, 0xdb, 0x19, 0xc3, 0x31, 0x87, 0x75, 0xeb, 0xba,
    0x3c, 0xaa, 0x32, 0x4b, 0x4e, 0x4e, 0x4e, 0x93, 0x7c, 0x47, 0xfe, 0x34, 0xd3, 0x68, 0xde, 0x54,
    0xe0, 0xe5, 0x3f, 0x59, 0xb0, 0x23, 0xd7, 0xe0, 0x77, 0x58, 0xc6, 0xf6, 0x34, 0xa2, 0xec, 0xc5,
    0x26, 0xc8, 0x70, 0x91, 0xa3, 0x81, 0x91, 0x30, 0x81, 0x8e, 0x30, 0x4c, 0x06, 0x03, 0x55, 0x1d,
    0x11, 0x04, 0x45, 0x30, 0x43, 0x82, 0x0c, 0x6c, 0x65, 0x61, 0x66, 0x2e, 0x65, 0x78, 0x61, 0x6d,
    0x70, 0x6c, 0x65, 0x82, 0x0e, 0x2a, 0x2e, 0x6c, 0x65, 0x61, 0x66, 0x2e, 0x65, 0x78, 0x61, 0x6d,
    0x70, 0x6c, 0x65, 0x87, 0x04, 0xc0, 0x00, 0x02, 0x07, 0x87, 0x10, 0x20, 0x01, 0x0d, 0xb8, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x81, 0x0b, 0x61, 0x40, 0x62,
    0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x30, 0x1d, 0x06, 0x03, 0x55, 0x1d, 0x0e, 0x04,
    0x16, 0x04, 0x14, 0xc2, 0x44, 0xea, 0x4d, 0x4a, 0xc2, 0xd4, 0x21, 0xe9, 0xb1, 0xdb, 0x34, 0xf5,
    0x33, 0x5c, 0x5e, 0x32, 0xdc, 0x56, 0xef, 0x30, 0x1f, 0x06, 0x03, 0x55, 0x1d, 0x23, 0x04, 0x18,
    0x30, 0x16, 0x80, 0x14, 0xd5, 0xc1, 0xad, 0x99, 0xa1, 0xf4, 0x87, 0xbd, 0x53, 0xac, 0xa2, 0xbd,
    0x63, 0xdf, 0xa8, 0xa0, 0x99, 0xc6, 0xa9, 0x24, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
    0x3d, 0x04, 0x03, 0x02, 0x03, 0x48, 0x00, 0x30, 0x45, 0x02, 0x21, 0x00, 0xd8, 0x2a, 0xea, 0xab,
    0xfa, 0xec, 0xd9, 0x68, 0x84, 0x78, 0x07, 0xac, 0xf4, 0x69, 0x0c, 0x85, 0xca, 0x38, 0xe8, 0x94,
    0x2e, 0xcb, 0xa0, 0x97, 0xee, 0x4d, 0x41, 0x15, 0xb1, 0xc2, 0x8f, 0x41, 0x02, 0x20, 0x14, 0x4f,
    0xf2, 0x76, 0xf0, 0xeb, 0x2a, 0x78, 0x5d, 0xfa, 0xaf, 0x4c, 0x41, 0x5d, 0xf6, 0x81, 0x50, 0x92,
    0x70, 0x31, 0xc8, 0x5a, 0xdc, 0x16, 0x0b, 0x51, 0x83, 0xee, 0x82, 0x5d, 0xb7, 0x55,
};

/* openssl req -x509 -subj "/O=tlsscope tests/CN=Test CA" */
static const uint8_t TEST_CA_DER[] = {
    0x30, 0x82, 0x01, 0xaa, 0x30, 0x82, 0x01, 0x51, 0xa0, 0x03, 0x02, 0x01, 0x02, 0x02, 0x14, 0x17,
    0x3f, 0x7d, 0x0a, 0xf7, 0x8a, 0x25, 0xf1, 0x00, 0x7b, 0x08, 0xa0, 0x24, 0x5a, 0xda, 0xbb, 0x65,
    0x7a, 0xda, 0xc4, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x30,
    0x2b, 0x31, 0x17, 0x30, 0x15, 0x06, 0x03, 0x55, 0x04, 0x0a, 0x0c, 0x0e, 0x74, 0x6c, 0x73, 0x73,
    0x63, 0x6f, 0x70, 0x65, 0x20, 0x74, 0x65, 0x73, 0x74, 0x73, 0x31, 0x10, 0x30, 0x0e, 0x06, 0x03,
    0x55, 0x04, 0x03, 0x0c, 0x07, 0x54, 0x65, 0x73, 0x74, 0x20, 0x43, 0x41, 0x30, 0x1e, 0x17, 0x0d,
    0x32, 0x36, 0x31, 0x31, 0x32, 0x33, 0x31, 0x32, 0x33, 0x39, 0x35, 0x31, 0x5a, 0x17, 0x0d, 0x33,
    0x36, 0x31, 0x31, 0x32, 0x30, 0x31, 0x32, 0x33, 0x39, 0x35, 0x31, 0x5a, 0x30, 0x2b, 0x31, 0x17,
    0x30, 0x15, 0x06, 0x03, 0x55, 0x04, 0x0a, 0x0c, 0x0e, 0x74, 0x6c, 0x73, 0x73, 0x63, 0x6f, 0x70,
    0x65, 0x20, 0x74, 0x65, 0x73, 0x74, 0x73, 0x31, 0x10, 0x30, 0x0e, 0x06, 0x03, 0x55, 0x04, 0x03,
    0x0c, 0x07, 0x54, 0x65, 0x73, 0x74, 0x20, 0x43, 0x41, 0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
    0x03, 0x42, 0x00, 0x04, 0xd7, 0x4a, 0x3c, 0x0b, 0xc8, 0x82, 0x2b, 0x67, 0xc6, 0xc3, 0x93, 0x40,
    0x8f, 0x39, 0xef, 0x9e, 0xee, 0x9b, 0xbc, 0x5b, 0x43, 0x9d, 0x6c, 0x03, 0x30, 0x7f, 0x2c, 0x4f,
    0x30, 0x08, 0xfb, 0xf2, 0x1e, 0x65, 0x72, 0x72, 0xe8, 0xc1, 0xfe, 0x07, 0xdc, 0xe9, 0xdf, 0x07,
    0xf6, 0x90, 0xef, 0xa5, 0xaa, 0x8d, 0x88, 0x2a, 0xd4, 0x2b, 0xf4, 0x02, 0xe2, 0x00, 0xf8, 0x97,
    0xc0, 0xbc, 0x3e, 0xf3, 0xa3, 0x53, 0x30, 0x51, 0x30, 0x1d, 0x06, 0x03, 0x55, 0x1d, 0x0e, 0x04,
    0x16, 0x04, 0x14, 0xd5, 0xc1, 0xad, 0x99, 0xa1, 0xf4, 0x87, 0xbd, 0x53, 0xac, 0xa2, 0xbd, 0x63,
    0xdf, 0xa8, 0xa0, 0x99, 0xc6, 0xa9, 0x24, 0x30, 0x1f, 0x06, 0x03, 0x55, 0x1d, 0x23, 0x04, 0x18,
    0x30, 0x16, 0x80, 0x14, 0xd5, 0xc1, 0xad, 0x99, 0xa1, 0xf4, 0x87, 0xbd, 0x53, 0xac, 0xa2, 0xbd,
    0x63, 0xdf, 0xa8, 0xa0, 0x99, 0xc6, 0xa9, 0x24, 0x30, 0x0f, 0x06, 0x03, 0x55, 0x1d, 0x13, 0x01,
    0x01, 0xff, 0x04, 0x05, 0x30, 0x03, 0x01, 0x01, 0xff, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48,
    0xce, 0x3d, 0x04, 0x03, 0x02, 0x03, 0x47, 0x00, 0x30, 0x44, 0x02, 0x20, 0x5e, 0xab, 0x49, 0xa5,
    0x85, 0xa7, 0x5a, 0x9e, 0x5b, 0x3a, 0xfc, 0x6e, 0xb9, 0x16, 0x29, 0xdb, 0x4e, 0xf8, 0xcf, 0x8a,
    0xbe, 0x36, 0x32, 0x85, 0x43, 0x01, 0xbc, 0x0e, 0x7b, 0xe1, 0x67, 0x01, 0x02, 0x20, 0x45, 0xeb,
    0xba, 0x6e, 0xa0, 0xaa, 0xf9, 0x0f, 0xd2, 0x6f, 0xf4, 0x24, 0xac, 0x74, 0xc4, 0x02, 0xf9, 0xbc,
    0xeb, 0x85, 0xad, 0x86, 0x68, 0xf2, 0xc4, 0x81, 0xad, 0x30, 0xc3, 0xd0, 0x27, 0xc0,
};

static enum tls_decode_status decode(const uint8_t *b, size_t n, bool tls13,
                                     struct tls_certificate *out)
{
    uint8_t *c = dup_exact(b, n);
    enum tls_decode_status st = tls_decode_certificate(cur_make(c, n), tls13, out);
    free(c);
    return st;
}

/* Certificate bodies: a 1.2 list, or a 1.3 context plus entries each with an extensions
 * block (ext_data appended to every entry). */
static struct capbuf *cert_msg(bool tls13, const uint8_t *ctx, size_t ctx_len,
                            const uint8_t *const *ders, const size_t *lens, size_t n,
                            const uint8_t *ext, size_t ext_len)
{
    struct capbuf *list = tb_new(), *b = tb_new();
    for (size_t i = 0; i < n; i++) {
        put_vec24(list, ders[i], lens[i]);
        if (tls13) {
            put_vec16(list, ext, ext_len);
        }
    }
    if (tls13) {
        put_vec8(b, ctx, ctx_len);
    }
    put_vec24(b, list->data, list->len);
    cb_free(list);
    return b;
}

/* ------------------------------------------------------------- real and built chains */

struct cert_row {
    const char *name;
    bool tls13;
    struct capbuf *(*build)(void); /* NULL: use bytes */
    const uint8_t *bytes;
    size_t len;
    uint32_t chain_len;
    bool present;
    const char *subject, *issuer;
    const char *sans[5];
    uint32_t num_sans;
    int64_t not_before, not_after;
    const char *sha256;
    bool self_signed;
};

static struct capbuf *b_chain12(void)
{
    const uint8_t *ders[] = {LEAF_DER, TEST_CA_DER};
    size_t lens[] = {sizeof(LEAF_DER), sizeof(TEST_CA_DER)};
    return cert_msg(false, NULL, 0, ders, lens, 2, NULL, 0);
}

/* TLS 1.3 with a request context (client certificates) and an OCSP-style entry extension. */
static struct capbuf *b_chain13(void)
{
    static const uint8_t CTX[4] = {9, 8, 7, 6};
    static const uint8_t EXT[] = {0x00, 0x05, 0x00, 0x03, 0x01, 0xaa, 0xbb};
    const uint8_t *ders[] = {LEAF_DER, TEST_CA_DER};
    size_t lens[] = {sizeof(LEAF_DER), sizeof(TEST_CA_DER)};
    return cert_msg(true, CTX, sizeof(CTX), ders, lens, 2, EXT, sizeof(EXT));
}

/* Not an X.509 certificate: SEQUENCE { INTEGER 5 }. */
static const uint8_t NOT_X509[] = {0x30, 0x03, 0x02, 0x01, 0x05};

static struct capbuf *b_not_x509(void)
{
    const uint8_t *ders[] = {NOT_X509};
    size_t lens[] = {sizeof(NOT_X509)};
    return cert_msg(false, NULL, 0, ders, lens, 1, NULL, 0);
}

/* A valid certificate followed by one byte inside its own cert_data. */
static struct capbuf *b_leaf_trailing(void)
{
    uint8_t buf[sizeof(LEAF_DER) + 1];
    memcpy(buf, LEAF_DER, sizeof(LEAF_DER));
    buf[sizeof(LEAF_DER)] = 0;
    const uint8_t *ders[] = {buf};
    size_t lens[] = {sizeof(buf)};
    return cert_msg(false, NULL, 0, ders, lens, 1, NULL, 0);
}

static struct capbuf *b_empty12(void)
{
    return cert_msg(false, NULL, 0, NULL, NULL, 0, NULL, 0);
}

static struct capbuf *b_empty13(void)
{
    return cert_msg(true, (const uint8_t *)"ctx", 3, NULL, NULL, 0, NULL, 0);
}

/* Validity of samples/lab's certificate: tshark -V on cap.pcap frame 6 shows notBefore
 * 2026-11-23 10:41:02 UTC, notAfter 2026-12-23 10:41:02 UTC, subject and issuer
 * id-at-commonName=test.local, no extensions; openssl x509 -fingerprint -sha256 on the same DER
 * gives 26:17:95:86:9B:DD:...:F2:F4. */
#define LAB_SHA256 "261795869bdd4625d6e1c8373170cec2b6dae72893cafac16386085e0c22f2f4"
#define LEAF_SHA256 "2e3369abe0a64fc6f1eb19545766a9f6f90b3366d3bf70a06c58c9d1a9f5c954"

static const struct cert_row CERT_ROWS[] = {
    {"CERT12 frame 6",
     false,
     NULL,
     CERT12,
     sizeof(CERT12),
     1,
     true,
     "CN=test.local",
     "CN=test.local",
     {NULL},
     0,
     1795430462,
     1798022462,
     LAB_SHA256,
     true},
    {"CERT13 frame 73 decrypted",
     true,
     NULL,
     CERT13,
     sizeof(CERT13),
     1,
     true,
     "CN=test.local",
     "CN=test.local",
     {NULL},
     0,
     1795430462,
     1798022462,
     LAB_SHA256,
     true},
    {"built TLS 1.2 chain",
     false,
     b_chain12,
     NULL,
     0,
     2,
     true,
     "CN=leaf.example,O=Example\\, Inc,C=DE",
     "CN=Test CA,O=tlsscope tests",
     {"leaf.example", "*.leaf.example", "192.0.2.7", "2001:db8::7"},
     4,
     1795437591,
     1829824791,
     LEAF_SHA256,
     false},
    {"built TLS 1.3 chain",
     true,
     b_chain13,
     NULL,
     0,
     2,
     true,
     "CN=leaf.example,O=Example\\, Inc,C=DE",
     "CN=Test CA,O=tlsscope tests",
     {"leaf.example", "*.leaf.example", "192.0.2.7", "2001:db8::7"},
     4,
     1795437591,
     1829824791,
     LEAF_SHA256,
     false},
    /* python3 hashlib.sha256(bytes([0x30, 3, 2, 1, 5])) */
    {"leaf not X.509",
     false,
     b_not_x509,
     NULL,
     0,
     1,
     false,
     "",
     "",
     {NULL},
     0,
     0,
     0,
     "417c7763c4e320a6b747b3cb0c6d22f93741b29a32b48594b8eb4c144fe6d729",
     false},
    {"leaf with trailing byte",
     false,
     b_leaf_trailing,
     NULL,
     0,
     1,
     false,
     "",
     "",
     {NULL},
     0,
     0,
     0,
     NULL,
     false},
    {"empty TLS 1.2 list", false, b_empty12, NULL, 0, 0, false, "", "", {NULL}, 0, 0, 0, "", false},
    {"empty TLS 1.3 list", true, b_empty13, NULL, 0, 0, false, "", "", {NULL}, 0, 0, 0, "", false},
};

static void test_cert(void **state)
{
    const struct cert_row *r = *state;
    struct capbuf *built = r->build ? r->build() : NULL;
    const uint8_t *b = built ? built->data : r->bytes;
    size_t n = built ? built->len : r->len;
    struct tls_certificate cert;
    memset(&cert, 0x5a, sizeof(cert)); /* the decoder must clear what it does not set */
    assert_int_equal(decode(b, n, r->tls13, &cert), TLS_DECODE_OK);
    assert_int_equal(cert.chain_len, r->chain_len);
    assert_int_equal(cert.present, r->present);
    assert_string_equal(cert.subject, r->subject);
    assert_string_equal(cert.issuer, r->issuer);
    assert_int_equal(cert.num_sans, r->num_sans);
    for (uint32_t i = 0; i < r->num_sans; i++) {
        assert_string_equal(cert.sans[i], r->sans[i]);
    }
    assert_int_equal(cert.not_before, r->not_before);
    assert_int_equal(cert.not_after, r->not_after);
    if (r->sha256) {
        assert_string_equal(cert.sha256, r->sha256);
    } else {
        assert_int_equal(strlen(cert.sha256), 64);
    }
    assert_int_equal(cert.self_signed, r->self_signed);
    /* Every strict prefix: the message has no optional tail, so none may decode OK. */
    for (size_t k = 0; k < n; k++) {
        if (decode(b, k, r->tls13, &cert) == TLS_DECODE_OK) {
            fail_msg("%s: prefix of %zu bytes decoded OK", r->name, k);
        }
    }
    if (built) {
        cb_free(built);
    }
}

/* ------------------------------------------------------------- malformed framing */

struct bad_row {
    const char *name;
    bool tls13;
    struct capbuf *(*build)(void);
    enum tls_decode_status want;
};

static struct capbuf *b_empty_cert_data(void)
{
    const uint8_t *ders[] = {NOT_X509};
    size_t lens[] = {0};
    return cert_msg(false, NULL, 0, ders, lens, 1, NULL, 0);
}

static struct capbuf *b_trailing_after_list(void)
{
    struct capbuf *b = b_chain12();
    put_u8(b, 0);
    return b;
}

/* An entry extension whose length overruns its block. */
static struct capbuf *b_bad_entry_ext(void)
{
    static const uint8_t EXT[] = {0x00, 0x05, 0x00, 0x09, 0x01};
    const uint8_t *ders[] = {LEAF_DER};
    size_t lens[] = {sizeof(LEAF_DER)};
    return cert_msg(true, NULL, 0, ders, lens, 1, EXT, sizeof(EXT));
}

/* A TLS 1.3 message read as TLS 1.2: the context byte shifts every length. */
static struct capbuf *b_13_as_12(void)
{
    return b_chain13();
}

static struct capbuf *b_empty_body(void)
{
    return tb_new();
}

static const struct bad_row BAD_ROWS[] = {
    {"empty cert_data", false, b_empty_cert_data, TLS_DECODE_MALFORMED},
    {"byte after the list", false, b_trailing_after_list, TLS_DECODE_MALFORMED},
    {"entry extension overruns", true, b_bad_entry_ext, TLS_DECODE_MALFORMED},
    {"TLS 1.3 body read as 1.2", false, b_13_as_12, TLS_DECODE_TRUNCATED},
    {"empty body 1.2", false, b_empty_body, TLS_DECODE_TRUNCATED},
    {"empty body 1.3", true, b_empty_body, TLS_DECODE_TRUNCATED},
};

static void test_bad(void **state)
{
    const struct bad_row *r = *state;
    struct capbuf *b = r->build();
    struct tls_certificate cert;
    assert_int_equal(decode(b->data, b->len, r->tls13, &cert), r->want);
    cb_free(b);
}

/* ---------------------------------------------------- length fields of the real vectors */

struct len_row {
    const char *name;
    bool tls13;
    const uint8_t *bytes;
    size_t len;
    const struct len_field *lens;
    size_t num_lens;
};

/* Offsets by hand from the layouts: 1.2 list u24 at 0, first cert u24 at 3; 1.3 context u8
 * at 0, list u24 at 1, cert u24 at 4, entry extensions u16 after the 783-byte DER. */
static const struct len_field CERT12_LENS[] = {{0, 3}, {3, 3}};
static const struct len_field CERT13_LENS[] = {{0, 1}, {1, 3}, {4, 3}, {7 + 783, 2}};

static const struct len_row LEN_ROWS[] = {
    {"CERT12", false, CERT12, sizeof(CERT12), LIST(CERT12_LENS)},
    {"CERT13", true, CERT13, sizeof(CERT13), LIST(CERT13_LENS)},
};

static void test_lengths(void **state)
{
    const struct len_row *r = *state;
    uint8_t *m = dup_exact(r->bytes, r->len);
    struct tls_certificate cert;
    for (size_t i = 0; i < r->num_lens; i++) {
        const struct len_field *f = &r->lens[i];
        uint32_t orig = 0, mask = (uint32_t)((1ull << (8 * f->width)) - 1);
        for (int k = 0; k < f->width; k++) {
            orig = (orig << 8) | r->bytes[f->off + (size_t)k];
        }
        uint32_t values[] = {(orig + 1) & mask, (orig - 1) & mask, mask, (mask >> 1) + 1};
        for (size_t j = 0; j < sizeof(values) / sizeof(values[0]); j++) {
            memcpy(m, r->bytes, r->len);
            for (int k = 0; k < f->width; k++) {
                m[f->off + (size_t)k] = (uint8_t)(values[j] >> (8 * (f->width - 1 - k)));
            }
            if (decode(m, r->len, r->tls13, &cert) == TLS_DECODE_OK) {
                fail_msg("%s: length at %zu set to %u decoded OK", r->name, f->off, values[j]);
            }
        }
    }
    free(m);
}

/* Each byte of the real TLS 1.2 message inverted in turn: the decoder may accept or refuse,
 * but must not read out of bounds (ASan) and must leave terminated strings. */
static void test_byte_flips(void **state)
{
    (void)state;
    uint8_t *m = dup_exact(CERT12, sizeof(CERT12));
    struct tls_certificate cert;
    size_t ok = 0;
    for (size_t i = 0; i < sizeof(CERT12); i++) {
        m[i] ^= 0xff;
        if (tls_decode_certificate(cur_make(m, sizeof(CERT12)), false, &cert) == TLS_DECODE_OK) {
            ok++;
            assert_true(memchr(cert.subject, 0, sizeof(cert.subject)) != NULL);
            assert_true(memchr(cert.issuer, 0, sizeof(cert.issuer)) != NULL);
            assert_true(cert.num_sans <= TLS_MAX_SANS);
            assert_int_equal(strlen(cert.sha256), 64);
        }
        m[i] ^= 0xff;
    }
    /* Flips inside the DER keep the framing: most of the sweep decodes OK. */
    assert_true(ok > sizeof(CERT12) / 2);
    free(m);
}

/* The last-leaf memo (tls_cert.c) gives the same facts as a fresh decode, whatever came between,
 * and never answers for different bytes: A, B, A again, then A with one byte changed. */
static void test_leaf_memo(void **state)
{
    (void)state;
    struct tls_certificate a1, b, a2, a_flip;
    assert_int_equal(tls_decode_certificate(cur_make(CERT12, sizeof(CERT12)), false, &a1),
                     TLS_DECODE_OK);
    assert_int_equal(tls_decode_certificate(cur_make(CERT13, sizeof(CERT13)), true, &b),
                     TLS_DECODE_OK);
    assert_int_equal(tls_decode_certificate(cur_make(CERT12, sizeof(CERT12)), false, &a2),
                     TLS_DECODE_OK);
    assert_memory_equal(&a1, &a2, sizeof(a1));
    /* cap.pcap's TLS 1.2 and 1.3 servers send the same leaf: the same facts either way. */
    assert_string_equal(a1.sha256, b.sha256);
    assert_string_equal(a1.subject, b.subject);
    uint8_t *m = dup_exact(CERT12, sizeof(CERT12));
    m[sizeof(CERT12) - 40] ^= 0x01; /* inside the leaf's signature */
    assert_int_equal(tls_decode_certificate(cur_make(m, sizeof(CERT12)), false, &a_flip),
                     TLS_DECODE_OK);
    assert_string_not_equal(a_flip.sha256, a1.sha256);
    free(m);
}

int main(void)
{
    struct test_list l = {NULL, 0};
    test_list_add(&l, test_leaf_memo, NULL, "last-leaf memo");
    for (size_t i = 0; i < sizeof(CERT_ROWS) / sizeof(CERT_ROWS[0]); i++) {
        test_list_add(&l, test_cert, (void *)&CERT_ROWS[i], "%s", CERT_ROWS[i].name);
    }
    for (size_t i = 0; i < sizeof(BAD_ROWS) / sizeof(BAD_ROWS[0]); i++) {
        test_list_add(&l, test_bad, (void *)&BAD_ROWS[i], "%s", BAD_ROWS[i].name);
    }
    for (size_t i = 0; i < sizeof(LEN_ROWS) / sizeof(LEN_ROWS[0]); i++) {
        test_list_add(&l, test_lengths, (void *)&LEN_ROWS[i], "lengths %s", LEN_ROWS[i].name);
    }
    test_list_add(&l, test_byte_flips, NULL, "byte flips over CERT12");
    return test_list_run("tls_cert", &l);
}
