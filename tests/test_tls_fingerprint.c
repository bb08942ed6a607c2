/* Tests of dissect/tls_fingerprint.c: JA3 and JA3S of the samples/lab hellos against tshark
 * 4.0.17, JA4 against FoxIO's published example and against an independent Python
 * implementation of technical_details/JA4.md run on the same ClientHello bytes, the JA4 rules
 * one by one (GREASE, version, SNI, counts, ALPN ends, empty lists), and tls_digest8. */
#include "tls_test_build.h"
#include "tls_vectors.h"

#include "tls_decode_internal.h"

#define LIST(a) a, sizeof(a) / sizeof(a[0])

static void decode_ch(const uint8_t *b, size_t n, struct tls_client_hello *ch)
{
    uint8_t *c = dup_exact(b, n);
    assert_int_equal(tls_decode_client_hello(cur_make(c, n), ch), TLS_DECODE_OK);
    /* Fingerprints use only copied fields, so the views may dangle from here on. */
    free(c);
}

/* ------------------------------------------------------------------- JA3 against tshark */

/* tshark -r samples/lab/cap.pcap -d tcp.port==14433,tls -Y frame.number==N -T fields
 *   -e tls.handshake.ja3 -e tls.handshake.ja3_full (alert.pcap, port 14434, for CH13_ONLY) */
struct ja3_row {
    const char *name;
    const uint8_t *bytes;
    size_t len;
    const char *hash;
    const char *full;
};

static const struct ja3_row JA3_ROWS[] = {
    {"CH12 frame 4", CH12, sizeof(CH12), "2c4428422b734ef16cdbf05bc5d82e08",
     "771,49196-49200-159-52393-52392-52394-49195-49199-158-49188-49192-107-49187-49191-103-"
     "49162-49172-57-49161-49171-51-157-156-61-60-53-47-255,0-11-10-22-23-13,29-23-30-25-24,0-1-"
     "2"},
    {"CH12_TICKET frame 54", CH12_TICKET, sizeof(CH12_TICKET), "871a754af286dfb70c1b53c6887c62e0",
     "771,49196-49200-159-52393-52392-52394-49195-49199-158-49188-49192-107-49187-49191-103-"
     "49162-49172-57-49161-49171-51-157-156-61-60-53-47-255,0-11-10-35-22-23-13,29-23-30-25-24,"
     "0-1-2"},
    {"CH13 frame 71", CH13, sizeof(CH13), "9dffdb8b608a430b774a2ff7d36c1a0c",
     "771,4866-4867-4865-255,0-11-10-35-16-22-23-13-43-45-51,29-23-30-25-24-256-257-258-259-260,"
     "0-1-2"},
    {"CH13_PSK frame 90", CH13_PSK, sizeof(CH13_PSK), "5d70a188544fb769122c0d9b2509a405",
     "771,4866-4867-4865-255,0-11-10-35-22-23-13-43-45-51-41,29-23-30-25-24-256-257-258-259-260,"
     "0-1-2"},
    {"CH13_ONLY alert.pcap frame 4", CH13_ONLY, sizeof(CH13_ONLY),
     "c1e58b5fa361cf5bfc0635a61bd8573c", NULL},
};

static void test_ja3(void **state)
{
    const struct ja3_row *r = *state;
    struct tls_client_hello ch;
    char hash[33], str[1024];
    decode_ch(r->bytes, r->len, &ch);
    tls_ja3(&ch, hash, str, sizeof(str));
    assert_string_equal(hash, r->hash);
    if (r->full) {
        assert_string_equal(str, r->full);
    }
    /* Without a string buffer the hash is the same. */
    char hash2[33];
    tls_ja3(&ch, hash2, NULL, 0);
    assert_string_equal(hash2, r->hash);
}

/* The string is cut to the buffer, always terminated; the hash covers the whole string. */
static void test_ja3_truncated_string(void **state)
{
    (void)state;
    struct tls_client_hello ch;
    char hash[33], str[10];
    decode_ch(CH12, sizeof(CH12), &ch);
    memset(str, 'X', sizeof(str));
    tls_ja3(&ch, hash, str, sizeof(str));
    assert_string_equal(str, "771,49196");
    assert_string_equal(hash, "2c4428422b734ef16cdbf05bc5d82e08");
}

/* GREASE in ciphers, extensions and groups is dropped: expected string written by hand, its
 * MD5 from python3 hashlib.md5(b"771,4865-4866,0-10-11,29-23,0"). */
static void test_ja3_grease(void **state)
{
    (void)state;
    struct tls_client_hello ch;
    memset(&ch, 0, sizeof(ch));
    static const uint16_t CIPHERS[] = {0x0a0a, 0x1301, 0x1302, 0xfafa};
    static const uint16_t EXTS[] = {0x2a2a, 0, 10, 0xdada, 11};
    static const uint16_t GROUPS[] = {0x3a3a, 29, 23};
    memcpy(ch.ciphers, CIPHERS, sizeof(CIPHERS));
    ch.num_ciphers = 4;
    memcpy(ch.exts, EXTS, sizeof(EXTS));
    ch.num_exts = 5;
    memcpy(ch.groups, GROUPS, sizeof(GROUPS));
    ch.num_groups = 3;
    ch.num_point_formats = 1;
    ch.legacy_version = 0x0303;
    char hash[33], str[128];
    tls_ja3(&ch, hash, str, sizeof(str));
    assert_string_equal(str, "771,4865-4866,0-10-11,29-23,0");
    assert_string_equal(hash, "38eaca597c62da4c9db8cfad482f14ad");
}

/* tshark ... -e tls.handshake.ja3s on the ServerHello frames. */
struct ja3s_row {
    const char *name;
    const uint8_t *bytes;
    size_t len;
    const char *hash;
};

static const struct ja3s_row JA3S_ROWS[] = {
    {"SH12 frame 6", SH12, sizeof(SH12), "e54965894d6b45ecb4323c7ea3d6c115"},
    {"SH12_RESUME frame 23", SH12_RESUME, sizeof(SH12_RESUME), "fd4bc6cea4877646ccd62f0792ec0b62"},
    {"SH13 frame 73", SH13, sizeof(SH13), "15af977ce25de452b96affa2addb1036"},
    {"SH13_PSK frame 92", SH13_PSK, sizeof(SH13_PSK), "2253c82f03b621c5144709b393fde2c9"},
};

static void test_ja3s(void **state)
{
    const struct ja3s_row *r = *state;
    uint8_t *c = dup_exact(r->bytes, r->len);
    struct tls_server_hello sh;
    assert_int_equal(tls_decode_server_hello(cur_make(c, r->len), &sh), TLS_DECODE_OK);
    char hash[33];
    tls_ja3s(&sh, hash);
    assert_string_equal(hash, r->hash);
    free(c);
}

/* -------------------------------------------------------------------------------- JA4 */

/* tshark 4.0 has no JA4. Expected values come from tests/ja4_reference.py, an independent
 * Python 3 implementation written from FoxIO-LLC/ja4 technical_details/JA4.md (its own
 * ClientHello parser, hashlib.sha256), run on the same bytes:
 *   python3 tests/ja4_reference.py CH12 CH12_TICKET CH13 CH13_PSK CH13_ONLY */
struct ja4_row {
    const char *name;
    const uint8_t *bytes;
    size_t len;
    const char *ja4;
};

static const struct ja4_row JA4_ROWS[] = {
    {"CH12 frame 4", CH12, sizeof(CH12), "t12d280600_d943125447b4_a44c6288192a"},
    {"CH12_TICKET frame 54", CH12_TICKET, sizeof(CH12_TICKET),
     "t12d280700_d943125447b4_e7e480e5a997"},
    {"CH13 frame 71", CH13, sizeof(CH13), "t13d0411h2_16476d049b0b_78f1d400d464"},
    {"CH13_PSK frame 90", CH13_PSK, sizeof(CH13_PSK), "t13d041100_16476d049b0b_6775ac8fe30b"},
    {"CH13_ONLY alert.pcap frame 4", CH13_ONLY, sizeof(CH13_ONLY),
     "t13i040900_16476d049b0b_78f1d400d464"},
};

static void test_ja4_real(void **state)
{
    const struct ja4_row *r = *state;
    struct tls_client_hello ch;
    char ja4[40];
    decode_ch(r->bytes, r->len, &ch);
    tls_ja4(&ch, ja4);
    assert_string_equal(ja4, r->ja4);
}

/* FoxIO's worked example (JA4.md "Example"): 15 suites, 16 extensions in the listed order,
 * ALPN h2, TLS 1.3, eight signature algorithms; GREASE added in every list must not change
 * t13d1516h2_8daaf6152771_e5627efa2ab1. Built as wire bytes and decoded. */
static struct capbuf *foxio_example(bool with_grease)
{
    static const uint16_t CIPHERS[] = {0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f,
                                       0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013,
                                       0xc014, 0x009c, 0x009d, 0x002f, 0x0035};
    static const uint16_t SIGALGS[] = {0x0403, 0x0804, 0x0401, 0x0503,
                                       0x0805, 0x0501, 0x0806, 0x0601};
    static const uint16_t EXT_ORDER[] = {0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017,
                                         0x002d, 0x000d, 0x0005, 0x0023, 0x0012, 0x002b,
                                         0xff01, 0x000b, 0x000a, 0x0015};
    struct capbuf *b = tb_new(), *exts = tb_new(), *d = tb_new();
    uint8_t random[32] = {0};
    put_u16(b, 0x0303);
    put_bytes(b, random, 32);
    put_u8(b, 0);
    put_u16(b, (unsigned)(2 * (sizeof(CIPHERS) / 2 + (with_grease ? 1 : 0))));
    if (with_grease) {
        put_u16(b, 0x8a8a);
    }
    for (size_t i = 0; i < sizeof(CIPHERS) / 2; i++) {
        put_u16(b, CIPHERS[i]);
    }
    put_u8(b, 1);
    put_u8(b, 0);
    if (with_grease) {
        put_ext(exts, 0x9a9a, NULL, 0);
    }
    for (size_t i = 0; i < sizeof(EXT_ORDER) / 2; i++) {
        unsigned t = EXT_ORDER[i];
        cb_clear(d);
        switch (t) {
        case 0x0000:
            put_u16(d, 1 + 2 + 9);
            put_u8(d, 0);
            put_vec16(d, "a.example", 9);
            break;
        case 0x0033:
            put_u16(d, 6);
            put_u16(d, 0x001d);
            put_vec16(d, "\x01\x02", 2);
            break;
        case 0x0010:
            put_u16(d, 12);
            put_vec8(d, "h2", 2);
            put_vec8(d, "http/1.1", 8);
            break;
        case 0x002d:
            put_vec8(d, "\x01", 1);
            break;
        case 0x000d:
            put_u16(d, (unsigned)(2 * (sizeof(SIGALGS) / 2 + (with_grease ? 1 : 0))));
            for (size_t k = 0; k < sizeof(SIGALGS) / 2; k++) {
                put_u16(d, SIGALGS[k]);
            }
            if (with_grease) {
                put_u16(d, 0x0a0a);
            }
            break;
        case 0x0005:
            put_u8(d, 1);
            put_u16(d, 0);
            put_u16(d, 0);
            break;
        case 0x002b:
            if (with_grease) {
                put_vec8(d, "\xfa\xfa\x03\x04\x03\x03", 6);
            } else {
                put_vec8(d, "\x03\x04\x03\x03", 4);
            }
            break;
        case 0xff01:
            put_u8(d, 0);
            break;
        case 0x000b:
            put_vec8(d, "\x00", 1);
            break;
        case 0x000a:
            put_vec16(d, "\x00\x1d\x00\x17", 4);
            break;
        default:
            break; /* empty: 001b, 4469, 0017, 0023, 0012, 0015 */
        }
        put_ext(exts, t, d->data, d->len);
    }
    if (with_grease) {
        put_ext(exts, 0xcaca, "\0", 1);
    }
    put_vec16(b, exts->data, exts->len);
    cb_free(exts);
    cb_free(d);
    return b;
}

static void test_ja4_foxio_example(void **state)
{
    bool grease = *state != NULL;
    struct capbuf *b = foxio_example(grease);
    struct tls_client_hello ch;
    char ja4[40];
    decode_ch(b->data, b->len, &ch);
    tls_ja4(&ch, ja4);
    assert_string_equal(ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
    cb_free(b);
}

/* JA4.md: with no signature algorithms the c string is the sorted extension list alone,
 * "0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01" = 6d807ffa2a79.
 * The decoder never yields an empty signature_algorithms list, so the struct is filled here. */
static void test_ja4_no_sigalgs(void **state)
{
    (void)state;
    static const uint16_t EXTS[] = {0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d,
                                    0x0005, 0x0023, 0x0012, 0x002b, 0xff01, 0x000b, 0x000a, 0x0015};
    struct tls_client_hello ch;
    memset(&ch, 0, sizeof(ch));
    memcpy(ch.exts, EXTS, sizeof(EXTS));
    ch.num_exts = 16;
    ch.ciphers[0] = 0x1301;
    ch.num_ciphers = 1;
    ch.legacy_version = 0x0303;
    char ja4[40];
    tls_ja4(&ch, ja4);
    assert_string_equal(ja4 + 24, "6d807ffa2a79");
    assert_memory_equal(ja4, "t12d0116", 8);
}

/* ALPN ends through the decoder: JA4.md's own examples. */
struct alpn_row {
    const char *name;
    const char *value;
    size_t len;
    const char *want;
};

static const struct alpn_row ALPN_ROWS[] = {
    {"ALPN h2", "h2", 2, "h2"},
    {"ALPN http/1.1", "http/1.1", 8, "h1"},
    {"ALPN one char", "x", 1, "xx"},
    {"ALPN 0xab", "\xab", 1, "ab"},
    {"ALPN 0xab 0xcd", "\xab\xcd", 2, "ad"},
    {"ALPN 0x30 0xab", "\x30\xab", 2, "3b"},
    {"ALPN 0x30 0x31 0xab 0xcd", "\x30\x31\xab\xcd", 4, "3d"},
    {"ALPN 0x30 0xab 0xcd 0x31", "\x30\xab\xcd\x31", 4, "01"},
    {"ALPN NUL byte", "\x00", 1, "00"},
};

static void test_ja4_alpn(void **state)
{
    const struct alpn_row *r = *state;
    struct capbuf *b = tb_new(), *list = tb_new(), *data = tb_new();
    struct capbuf *exts = tb_new();
    uint8_t random[32] = {0};
    put_u16(b, 0x0303);
    put_bytes(b, random, 32);
    put_u8(b, 0);
    put_vec16(b, "\x13\x01", 2);
    put_vec8(b, "\0", 1);
    put_vec8(list, r->value, r->len);
    put_vec8(list, "zz", 2); /* only the first name counts */
    put_vec16(data, list->data, list->len);
    put_ext(exts, TLS_EXT_ALPN, data->data, data->len);
    put_vec16(b, exts->data, exts->len);
    struct tls_client_hello ch;
    char ja4[40];
    decode_ch(b->data, b->len, &ch);
    tls_ja4(&ch, ja4);
    assert_memory_equal(ja4, "t12i0101", 8);
    assert_memory_equal(ja4 + 8, r->want, 2);
    /* ALPN was the only extension, so the c list is empty. */
    assert_string_equal(ja4 + 24, "000000000000");
    cb_free(b);
    cb_free(list);
    cb_free(data);
    cb_free(exts);
}

/* Version and count rules on a filled struct. */
struct rule_row {
    const char *name;
    uint16_t legacy;
    uint16_t versions[4];
    uint32_t num_versions;
    uint32_t num_ciphers;
    const char *want_prefix; /* first 10 characters */
};

static const struct rule_row RULE_ROWS[] = {
    {"version from legacy", 0x0301, {0}, 0, 3, "t10i030000"},
    {"highest non-GREASE version", 0x0303, {0x0a0a, 0x0303, 0x0304, 0xfafa}, 4, 3, "t13i030000"},
    {"unknown version", 0x0303, {0x0305}, 1, 3, "t00i030000"},
    {"SSL 3.0", 0x0300, {0}, 0, 3, "ts3i030000"},
    {"DTLS 1.2", 0x0303, {0xfefd}, 1, 3, "td2i030000"},
    {"only GREASE versions", 0x0302, {0x1a1a}, 1, 3, "t11i030000"},
    {"100 ciphers count 99", 0x0303, {0}, 0, 100, "t12i990000"},
    {"no ciphers", 0x0303, {0}, 0, 0, "t12i000000"},
};

static void test_ja4_rules(void **state)
{
    const struct rule_row *r = *state;
    struct tls_client_hello ch;
    memset(&ch, 0, sizeof(ch));
    ch.legacy_version = r->legacy;
    memcpy(ch.versions, r->versions, sizeof(r->versions));
    ch.num_versions = r->num_versions;
    for (uint32_t i = 0; i < r->num_ciphers; i++) {
        ch.ciphers[i] = (uint16_t)(0x0100 + i);
    }
    ch.num_ciphers = r->num_ciphers;
    char ja4[40];
    tls_ja4(&ch, ja4);
    assert_int_equal(strlen(ja4), 36);
    assert_memory_equal(ja4, r->want_prefix, 10);
    assert_string_equal(ja4 + 24, "000000000000");
    if (r->num_ciphers == 0) {
        assert_memory_equal(ja4 + 11, "000000000000", 12);
    } else {
        assert_memory_not_equal(ja4 + 11, "000000000000", 12);
    }
}

/* SNI 'd' comes from the extension's presence, and both SNI and ALPN count as extensions but
 * leave the c list. */
static void test_ja4_sni_alpn_only(void **state)
{
    (void)state;
    struct tls_client_hello ch;
    memset(&ch, 0, sizeof(ch));
    ch.legacy_version = 0x0303;
    ch.ciphers[0] = 0x002f;
    ch.num_ciphers = 1;
    ch.exts[0] = TLS_EXT_SERVER_NAME;
    ch.exts[1] = 0x2a2a;
    ch.exts[2] = TLS_EXT_ALPN;
    ch.num_exts = 3;
    char ja4[40];
    tls_ja4(&ch, ja4);
    assert_memory_equal(ja4, "t12d010200_", 11);
    assert_string_equal(ja4 + 24, "000000000000");
}

/* ---------------------------------------------------------------------------- digest8 */

/* SHA-256 test vectors of FIPS 180-2 ("abc") and of the empty string. */
static void test_digest8(void **state)
{
    (void)state;
    char out[17];
    tls_digest8((const uint8_t *)"abc", 3, out);
    assert_string_equal(out, "ba7816bf8f01cfea");
    tls_digest8(NULL, 0, out);
    assert_string_equal(out, "e3b0c44298fc1c14");
}

int main(void)
{
    struct test_list l = {NULL, 0};
    for (size_t i = 0; i < sizeof(JA3_ROWS) / sizeof(JA3_ROWS[0]); i++) {
        test_list_add(&l, test_ja3, (void *)&JA3_ROWS[i], "JA3 %s", JA3_ROWS[i].name);
    }
    test_list_add(&l, test_ja3_truncated_string, NULL, "JA3 string cut to buffer");
    test_list_add(&l, test_ja3_grease, NULL, "JA3 drops GREASE");
    for (size_t i = 0; i < sizeof(JA3S_ROWS) / sizeof(JA3S_ROWS[0]); i++) {
        test_list_add(&l, test_ja3s, (void *)&JA3S_ROWS[i], "JA3S %s", JA3S_ROWS[i].name);
    }
    for (size_t i = 0; i < sizeof(JA4_ROWS) / sizeof(JA4_ROWS[0]); i++) {
        test_list_add(&l, test_ja4_real, (void *)&JA4_ROWS[i], "JA4 %s", JA4_ROWS[i].name);
    }
    test_list_add(&l, test_ja4_foxio_example, NULL, "JA4 FoxIO example");
    test_list_add(&l, test_ja4_foxio_example, (void *)&l, "JA4 FoxIO example with GREASE");
    test_list_add(&l, test_ja4_no_sigalgs, NULL, "JA4 no signature algorithms");
    for (size_t i = 0; i < sizeof(ALPN_ROWS) / sizeof(ALPN_ROWS[0]); i++) {
        test_list_add(&l, test_ja4_alpn, (void *)&ALPN_ROWS[i], "JA4 %s", ALPN_ROWS[i].name);
    }
    for (size_t i = 0; i < sizeof(RULE_ROWS) / sizeof(RULE_ROWS[0]); i++) {
        test_list_add(&l, test_ja4_rules, (void *)&RULE_ROWS[i], "JA4 %s", RULE_ROWS[i].name);
    }
    test_list_add(&l, test_ja4_sni_alpn_only, NULL, "JA4 SNI and ALPN only");
    test_list_add(&l, test_digest8, NULL, "digest8");
    return test_list_run("tls_fingerprint", &l);
}
