/* Tests of the hello-phase decoders (dissect/tls_hello.c): real ClientHello, ServerHello,
 * NewSessionTicket and ServerKeyExchange bodies from samples/lab checked field by field against
 * tshark 4.0.17, then every strict prefix, every length field +-1 and hostile lengths of each
 * real vector, then synthetic vectors for empty, maximal and forbidden shapes. Every decode runs
 * on an exact-size heap copy so an over-read is an ASan failure. */
#include "tls_test_build.h"
#include "tls_vectors.h"

#include "tls_decode_internal.h"

/* ---------------------------------------------------------------- decoding any message kind */

enum kind { K_CH, K_SH, K_NST12, K_NST13, K_SKE, K_SSLV2 };

static union {
    struct tls_client_hello ch;
    struct tls_server_hello sh;
    struct tls_new_session_ticket nst;
    uint16_t group;
} result;

/* Decodes an exact-size copy of b; views in result are dangling after the call, so callers
 * check only copied fields. */
static enum tls_decode_status decode_copy(enum kind k, const uint8_t *b, size_t n)
{
    uint8_t *c = dup_exact(b, n);
    struct cur body = cur_make(c, n);
    enum tls_decode_status st = TLS_DECODE_MALFORMED;
    switch (k) {
    case K_CH:
        st = tls_decode_client_hello(body, &result.ch);
        break;
    case K_SH:
        st = tls_decode_server_hello(body, &result.sh);
        break;
    case K_NST12:
        st = tls_decode_new_session_ticket(body, false, &result.nst);
        break;
    case K_NST13:
        st = tls_decode_new_session_ticket(body, true, &result.nst);
        break;
    case K_SKE:
        st = tls_decode_server_key_exchange_group(body, &result.group);
        break;
    case K_SSLV2:
        st = tls_decode_sslv2_client_hello(body, &result.ch);
        break;
    }
    free(c);
    return st;
}

/* ------------------------------------------------------- real ClientHellos against tshark */

/* Expected values: tshark -r samples/lab/cap.pcap -d tcp.port==14433,tls -Y frame.number==N
 *   -T fields -e tls.handshake.version -e tls.handshake.session_id
 *   -e tls.handshake.extensions_server_name -e tls.handshake.extensions_alpn_str
 *   -e tls.handshake.extensions.supported_version -e tls.handshake.ciphersuite
 *   -e tls.handshake.extension.type -e tls.handshake.extensions_key_share_group
 *   -e tls.handshake.extensions_supported_group -e tls.handshake.sig_hash_alg
 *   -e tls.handshake.extensions.psk.identity.identity_length -e tls.extension.psk_ke_mode
 * (alert.pcap with -d tcp.port==14434,tls for CH13_ONLY). */
static const uint16_t CIPHERS_12[] = {
    0xc02c, 0xc030, 0x009f, 0xcca9, 0xcca8, 0xccaa, 0xc02b, 0xc02f, 0x009e, 0xc024,
    0xc028, 0x006b, 0xc023, 0xc027, 0x0067, 0xc00a, 0xc014, 0x0039, 0xc009, 0xc013,
    0x0033, 0x009d, 0x009c, 0x003d, 0x003c, 0x0035, 0x002f, 0x00ff,
};
static const uint16_t CIPHERS_13[] = {0x1302, 0x1303, 0x1301, 0x00ff};
static const uint16_t EXTS_12[] = {0, 11, 10, 22, 23, 13};
static const uint16_t EXTS_12_TICKET[] = {0, 11, 10, 35, 22, 23, 13};
static const uint16_t EXTS_13[] = {0, 11, 10, 35, 16, 22, 23, 13, 43, 45, 51};
static const uint16_t EXTS_13_PSK[] = {0, 11, 10, 35, 22, 23, 13, 43, 45, 51, 41};
static const uint16_t EXTS_13_ONLY[] = {11, 10, 35, 22, 23, 13, 43, 45, 51};
static const uint16_t GROUPS_12[] = {0x001d, 0x0017, 0x001e, 0x0019, 0x0018};
static const uint16_t GROUPS_13[] = {0x001d, 0x0017, 0x001e, 0x0019, 0x0018,
                                     0x0100, 0x0101, 0x0102, 0x0103, 0x0104};
static const uint16_t SIGALGS_12[] = {0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0809, 0x080a,
                                      0x080b, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601,
                                      0x0303, 0x0301, 0x0302, 0x0402, 0x0502, 0x0602};
static const uint16_t V13[] = {0x0304};
static const uint16_t KS_X25519[] = {0x001d};

#define LIST(a) a, sizeof(a) / sizeof(a[0])

struct ch_row {
    const char *name;
    const uint8_t *bytes;
    size_t len;
    const char *session_id_hex;
    const char *sni; /* NULL: no server_name */
    const uint16_t *ciphers;
    size_t num_ciphers;
    const uint16_t *exts;
    size_t num_exts;
    const uint16_t *groups;
    size_t num_groups;
    size_t num_sigalgs; /* the first min(n, 20) are compared with SIGALGS_12 */
    const uint16_t *versions;
    size_t num_versions;
    const uint16_t *ks;
    size_t num_ks;
    const char *alpn0, *alpn1; /* NULL: absent */
    int ticket_len;            /* -1: no session_ticket extension */
    int psk_identity_len;      /* -1: no pre_shared_key */
    uint8_t psk_modes;
    bool etm, ems;
};

static const struct ch_row CH_ROWS[] = {
    {"CH12 frame 4",
     CH12,
     sizeof(CH12),
     "",
     "test.local",
     LIST(CIPHERS_12),
     LIST(EXTS_12),
     LIST(GROUPS_12),
     20,
     NULL,
     0,
     NULL,
     0,
     NULL,
     NULL,
     -1,
     -1,
     0,
     true,
     true},
    {"CH12_RESUME frame 21",
     CH12_RESUME,
     sizeof(CH12_RESUME),
     "a28a3a18ea546ca9cfc7b98eece257b6fca088d4b9caad95d4b06182148a354f",
     "test.local",
     LIST(CIPHERS_12),
     LIST(EXTS_12),
     LIST(GROUPS_12),
     20,
     NULL,
     0,
     NULL,
     0,
     NULL,
     NULL,
     -1,
     -1,
     0,
     true,
     true},
    {"CH12_TICKET frame 54",
     CH12_TICKET,
     sizeof(CH12_TICKET),
     "0b09f242a2ba8a1bcf421e8f783d2e796ef18577e68d22d25799538e861c769b",
     "test.local",
     LIST(CIPHERS_12),
     LIST(EXTS_12_TICKET),
     LIST(GROUPS_12),
     20,
     NULL,
     0,
     NULL,
     0,
     NULL,
     NULL,
     176,
     -1,
     0,
     true,
     true},
    {"CH13 frame 71", CH13, sizeof(CH13),
     "80f80b1f53e92580ce792c9311c632e30340d2bbeda7def87824b850809045d3", "test.local",
     LIST(CIPHERS_13), LIST(EXTS_13), LIST(GROUPS_13), 14, LIST(V13), LIST(KS_X25519), "h2",
     "http/1.1", 0, -1, 0x2, true, true},
    {"CH13_PSK frame 90", CH13_PSK, sizeof(CH13_PSK),
     "3bfb5c5b998752b8f6c15df19715dae97a7715e7a0cbc0debb877d9ffb505511", "test.local",
     LIST(CIPHERS_13), LIST(EXTS_13_PSK), LIST(GROUPS_13), 14, LIST(V13), LIST(KS_X25519), NULL,
     NULL, 0, 208, 0x2, true, true},
    {"CH13_ONLY alert.pcap frame 4", CH13_ONLY, sizeof(CH13_ONLY),
     "3dfcc13b79fc0a8801f31abea9869ad94460f58db15894d3f723d1b2262e29d7", NULL, LIST(CIPHERS_13),
     LIST(EXTS_13_ONLY), LIST(GROUPS_13), 14, LIST(V13), LIST(KS_X25519), NULL, NULL, 0, -1, 0x2,
     true, true},
};

static void assert_u16s(const uint16_t *got, uint32_t num_got, const uint16_t *want, size_t n)
{
    assert_int_equal(num_got, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(got[i], want[i]);
    }
}

static void test_ch_fields(void **state)
{
    const struct ch_row *r = *state;
    uint8_t *c = dup_exact(r->bytes, r->len);
    struct tls_client_hello ch;
    assert_int_equal(tls_decode_client_hello(cur_make(c, r->len), &ch), TLS_DECODE_OK);
    char sid[65];
    hex_of(ch.session_id, ch.session_id_len, sid);
    assert_int_equal(ch.legacy_version, 0x0303);
    assert_string_equal(sid, r->session_id_hex);
    assert_int_equal(ch.has_sni, r->sni != NULL);
    assert_string_equal(ch.sni, r->sni ? r->sni : "");
    assert_u16s(ch.ciphers, ch.num_ciphers, r->ciphers, r->num_ciphers);
    assert_false(ch.ciphers_truncated);
    assert_int_equal(ch.num_compressions, 1);
    assert_u16s(ch.exts, ch.num_exts, r->exts, r->num_exts);
    assert_u16s(ch.groups, ch.num_groups, r->groups, r->num_groups);
    assert_int_equal(ch.num_sigalgs, r->num_sigalgs);
    /* OpenSSL 3.0 lists the same schemes, TLS 1.3 ones first; 1.3-only hellos stop at 0x0601. */
    for (size_t i = 0; i < r->num_sigalgs; i++) {
        assert_int_equal(ch.sigalgs[i], SIGALGS_12[i]);
    }
    assert_int_equal(ch.num_point_formats, 3); /* tls.handshake.extensions_ec_point_format 0,1,2 */
    assert_u16s(ch.versions, ch.num_versions, r->versions, r->num_versions);
    assert_u16s(ch.key_share_groups, ch.num_key_share_groups, r->ks, r->num_ks);
    if (r->alpn0) {
        assert_int_equal(ch.num_alpn, 2);
        assert_string_equal(ch.alpn[0], r->alpn0);
        assert_string_equal(ch.alpn[1], r->alpn1);
    } else {
        assert_int_equal(ch.num_alpn, 0);
    }
    assert_int_equal(ch.has_session_ticket, r->ticket_len >= 0);
    if (r->ticket_len >= 0) {
        assert_int_equal(cur_len(&ch.ticket), (size_t)r->ticket_len);
    }
    assert_int_equal(ch.has_psk, r->psk_identity_len >= 0);
    if (r->psk_identity_len >= 0) {
        assert_int_equal(ch.psk_identities, 1);
        assert_int_equal(cur_len(&ch.psk_first_identity), (size_t)r->psk_identity_len);
        assert_false(ch.psk_not_last);
    }
    assert_int_equal(ch.psk_modes, r->psk_modes);
    assert_int_equal(ch.encrypt_then_mac, r->etm);
    assert_int_equal(ch.extended_master_secret, r->ems);
    assert_false(ch.renegotiation_info); /* OpenSSL signals it with the SCSV 0x00ff instead */
    assert_false(ch.early_data);
    assert_false(ch.sslv2);
    free(c);
}

/* ------------------------------------------------------- real ServerHellos against tshark */

/* tshark -r samples/lab/cap.pcap -d tcp.port==14433,tls -Y frame.number==N -T fields
 *   -e tls.handshake.session_id -e tls.handshake.ciphersuite -e tls.handshake.extension.type
 *   -e tls.handshake.extensions.supported_version -e tls.handshake.extensions_key_share_group
 *   -e tls.handshake.extensions.psk.identity.selected */
static const uint16_t SH_EXTS_12[] = {0xff01, 11, 23};
static const uint16_t SH_EXTS_12_RESUME[] = {0xff01, 23};
static const uint16_t SH_EXTS_13[] = {43, 51};
static const uint16_t SH_EXTS_13_PSK[] = {43, 51, 41};

struct sh_row {
    const char *name;
    const uint8_t *bytes;
    size_t len;
    const char *session_id_hex;
    uint16_t cipher;
    const uint16_t *exts;
    size_t num_exts;
    uint16_t selected_version;
    uint16_t key_share_group;
    bool psk_selected;
};

static const struct sh_row SH_ROWS[] = {
    {"SH12 frame 6", SH12, sizeof(SH12),
     "a28a3a18ea546ca9cfc7b98eece257b6fca088d4b9caad95d4b06182148a354f", 0xc030, LIST(SH_EXTS_12),
     0, 0, false},
    {"SH12_RESUME frame 23", SH12_RESUME, sizeof(SH12_RESUME),
     "a28a3a18ea546ca9cfc7b98eece257b6fca088d4b9caad95d4b06182148a354f", 0xc030,
     LIST(SH_EXTS_12_RESUME), 0, 0, false},
    {"SH13 frame 73", SH13, sizeof(SH13),
     "80f80b1f53e92580ce792c9311c632e30340d2bbeda7def87824b850809045d3", 0x1302, LIST(SH_EXTS_13),
     0x0304, 0x001d, false},
    {"SH13_PSK frame 92", SH13_PSK, sizeof(SH13_PSK),
     "3bfb5c5b998752b8f6c15df19715dae97a7715e7a0cbc0debb877d9ffb505511", 0x1302,
     LIST(SH_EXTS_13_PSK), 0x0304, 0x001d, true},
};

static void test_sh_fields(void **state)
{
    const struct sh_row *r = *state;
    uint8_t *c = dup_exact(r->bytes, r->len);
    struct tls_server_hello sh;
    assert_int_equal(tls_decode_server_hello(cur_make(c, r->len), &sh), TLS_DECODE_OK);
    char sid[65];
    hex_of(sh.session_id, sh.session_id_len, sid);
    assert_int_equal(sh.legacy_version, 0x0303);
    assert_string_equal(sid, r->session_id_hex);
    assert_int_equal(sh.cipher, r->cipher);
    assert_int_equal(sh.compression, 0);
    assert_u16s(sh.exts, sh.num_exts, r->exts, r->num_exts);
    assert_int_equal(sh.selected_version, r->selected_version);
    assert_int_equal(sh.key_share_group, r->key_share_group);
    assert_int_equal(sh.psk_selected, r->psk_selected);
    assert_int_equal(sh.psk_index, 0);
    assert_false(sh.hello_retry_request);
    assert_int_equal(sh.renegotiation_info, r->selected_version == 0);
    assert_int_equal(sh.extended_master_secret, r->selected_version == 0);
    assert_string_equal(sh.alpn, "");
    free(c);
}

/* ----------------------------------------------------- other real messages against tshark */

/* NewSessionTicket: tshark -V on cap.pcap frame 42 (TLS 1.2: lifetime hint 7200, ticket 176
 * bytes) and, with -o tls.keylog_file:samples/lab/keylog.txt, frame 76 (TLS 1.3: lifetime
 * 7200, nonce 8 bytes, ticket 208 bytes, no extensions). */
static void test_nst_real(void **state)
{
    (void)state;
    assert_int_equal(decode_copy(K_NST12, NST12, sizeof(NST12)), TLS_DECODE_OK);
    assert_int_equal(result.nst.lifetime, 7200);
    assert_int_equal(cur_len(&result.nst.ticket), 176);
    assert_int_equal(decode_copy(K_NST13, NST13, sizeof(NST13)), TLS_DECODE_OK);
    assert_int_equal(result.nst.lifetime, 7200);
    assert_int_equal(cur_len(&result.nst.ticket), 208);
    /* Each form read as the other contradicts its layout. */
    assert_int_not_equal(decode_copy(K_NST13, NST12, sizeof(NST12)), TLS_DECODE_OK);
    assert_int_not_equal(decode_copy(K_NST12, NST13, sizeof(NST13)), TLS_DECODE_OK);
}

/* ServerKeyExchange of cap.pcap frame 6: tls.handshake.server_named_curve == 0x001d. */
static void test_ske_real(void **state)
{
    (void)state;
    assert_int_equal(decode_copy(K_SKE, SKE12, sizeof(SKE12)), TLS_DECODE_OK);
    assert_int_equal(result.group, 0x001d);
}

/* ------------------------------------------- robustness of every real vector (rows) */

struct robust_row {
    const char *name;
    enum kind kind;
    const uint8_t *bytes;
    size_t len;
    const struct len_field *lens;
    size_t num_lens;
    size_t ok_prefix_at;   /* the one strict prefix that is itself valid, or SIZE_MAX */
    size_t ok_prefix_from; /* prefixes this long and longer are valid (SKE), or SIZE_MAX */
};

/* NST and SKE length fields, by hand from the RFC layouts (offsets into the bodies above). */
static const struct len_field NST12_LENS[] = {{4, 2}};
static const struct len_field NST13_LENS[] = {{8, 1}, {17, 2}, {227, 2}};

#define HELLO_ROW(n, k)                                                                            \
    {                                                                                              \
#n, k, n, sizeof(n), LIST(n##_LENS), n##_EXT_BLOCK_OFF, SIZE_MAX                           \
    }

static const struct robust_row ROBUST_ROWS[] = {
    HELLO_ROW(CH12, K_CH),
    HELLO_ROW(CH12_RESUME, K_CH),
    HELLO_ROW(CH12_TICKET, K_CH),
    HELLO_ROW(CH13, K_CH),
    HELLO_ROW(CH13_PSK, K_CH),
    HELLO_ROW(CH13_ONLY, K_CH),
    HELLO_ROW(SH12, K_SH),
    HELLO_ROW(SH12_RESUME, K_SH),
    HELLO_ROW(SH13, K_SH),
    HELLO_ROW(SH13_PSK, K_SH),
    {"NST12", K_NST12, NST12, sizeof(NST12), LIST(NST12_LENS), SIZE_MAX, SIZE_MAX},
    {"NST13", K_NST13, NST13, sizeof(NST13), LIST(NST13_LENS), SIZE_MAX, SIZE_MAX},
    /* The signature after the ECDHE point is not examined: curve_type, group and the 32-byte
     * x25519 point (1 + 2 + 1 + 32 bytes) are all the decoder needs. */
    {"SKE12", K_SKE, SKE12, sizeof(SKE12), NULL, 0, SIZE_MAX, 36},
};

/* Every strict prefix is TRUNCATED or MALFORMED, except a hello cut right before its optional
 * extensions block (a valid extension-less hello, which must then report no extensions). */
static void test_prefixes(void **state)
{
    const struct robust_row *r = *state;
    assert_int_equal(decode_copy(r->kind, r->bytes, r->len), TLS_DECODE_OK);
    for (size_t n = 0; n < r->len; n++) {
        enum tls_decode_status st = decode_copy(r->kind, r->bytes, n);
        if (n == r->ok_prefix_at) {
            assert_int_equal(st, TLS_DECODE_OK);
            assert_int_equal(r->kind == K_CH ? result.ch.num_exts : result.sh.num_exts, 0);
        } else if (n >= r->ok_prefix_from) {
            assert_int_equal(st, TLS_DECODE_OK);
        } else if (st == TLS_DECODE_OK) {
            fail_msg("%s: prefix of %zu bytes decoded OK", r->name, n);
        }
    }
}

static void set_len(uint8_t *b, const struct len_field *f, uint32_t v)
{
    for (int i = 0; i < f->width; i++) {
        b[f->off + (size_t)i] = (uint8_t)(v >> (8 * (f->width - 1 - i)));
    }
}

static uint32_t get_len(const uint8_t *b, const struct len_field *f)
{
    uint32_t v = 0;
    for (int i = 0; i < f->width; i++) {
        v = (v << 8) | b[f->off + (size_t)i];
    }
    return v;
}

/* Each length field +1 and -1 (mod its width), and hostile values: all ones and the top bit
 * alone. None of them may decode OK. */
static void test_length_mutations(void **state)
{
    const struct robust_row *r = *state;
    uint8_t *m = dup_exact(r->bytes, r->len);
    for (size_t i = 0; i < r->num_lens; i++) {
        const struct len_field *f = &r->lens[i];
        uint32_t mask = (uint32_t)((1ull << (8 * f->width)) - 1);
        uint32_t orig = get_len(r->bytes, f);
        uint32_t values[] = {(orig + 1) & mask, (orig - 1) & mask, mask, (mask >> 1) + 1};
        for (size_t j = 0; j < sizeof(values) / sizeof(values[0]); j++) {
            if (values[j] == orig) {
                continue;
            }
            memcpy(m, r->bytes, r->len);
            set_len(m, f, values[j]);
            if (decode_copy(r->kind, m, r->len) == TLS_DECODE_OK) {
                fail_msg("%s: length at %zu set to %u decoded OK", r->name, f->off, values[j]);
            }
        }
    }
    free(m);
}

/* ----------------------------------------------------------------- synthetic vectors */

static const uint8_t HRR_RANDOM[32] = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

/* A ClientHello: version 0x0303, random 0x11.., sid_len bytes of 0x22, num_ciphers suites
 * (0x1301, 0x1302, ...), comp_len compression methods (all null); no extensions block. */
static struct capbuf *ch_head(size_t sid_len, size_t num_ciphers, size_t comp_len)
{
    struct capbuf *b = tb_new();
    uint8_t random[32], sid[255], comp[255];
    memset(random, 0x11, sizeof(random));
    memset(sid, 0x22, sizeof(sid));
    memset(comp, 0, sizeof(comp));
    put_u16(b, 0x0303);
    put_bytes(b, random, 32);
    put_vec8(b, sid, sid_len);
    put_u16(b, (unsigned)(2 * num_ciphers));
    for (size_t i = 0; i < num_ciphers; i++) {
        put_u16(b, (unsigned)(0x1301 + i));
    }
    put_vec8(b, comp, comp_len);
    return b;
}

/* The extensions block appended to a hello head. */
static struct capbuf *with_exts(struct capbuf *head, struct capbuf *exts)
{
    put_vec16(head, exts->data, exts->len);
    cb_free(exts);
    return head;
}

static struct capbuf *ch_with(struct capbuf *exts)
{
    return with_exts(ch_head(0, 2, 1), exts);
}

static struct capbuf *sni_ext(const char *host)
{
    struct capbuf *exts = tb_new();
    put_u16(exts, TLS_EXT_SERVER_NAME);
    struct wr_sec data = put_open(exts, 2);
    struct wr_sec list = put_open(exts, 2);
    put_u8(exts, 0); /* host_name */
    put_vec16(exts, host, strlen(host));
    put_close(exts, list);
    put_close(exts, data);
    return exts;
}

static struct capbuf *alpn_data(const char *const *names, size_t n)
{
    struct capbuf *data = tb_new();
    struct wr_sec list = put_open(data, 2);
    for (size_t i = 0; i < n; i++) {
        put_vec8(data, names[i], strlen(names[i]));
    }
    put_close(data, list);
    return data;
}

/* PSK extension data with the given number of identities and binders. */
static struct capbuf *psk_data(size_t ids, size_t binders, size_t binder_len)
{
    struct capbuf *d = tb_new();
    uint8_t id[5] = {1, 2, 3, 4, 5}, binder[255];
    memset(binder, 0x33, sizeof(binder));
    struct wr_sec idl = put_open(d, 2);
    for (size_t i = 0; i < ids; i++) {
        put_vec16(d, id, sizeof(id));
        put_u16(d, 0);
        put_u16(d, 0);
    }
    put_close(d, idl);
    struct wr_sec bl = put_open(d, 2);
    for (size_t i = 0; i < binders; i++) {
        put_vec8(d, binder, binder_len);
    }
    put_close(d, bl);
    return d;
}

static void add_ext_array(struct capbuf *exts, unsigned type, struct capbuf *data)
{
    put_ext(exts, type, data->data, data->len);
    cb_free(data);
}

struct syn_row {
    const char *name;
    enum kind kind;
    struct capbuf *(*build)(void);
    enum tls_decode_status want;
    void (*check)(void); /* on result, when want is OK */
};

static struct capbuf *b_no_ext_block(void)
{
    return ch_head(0, 1, 1);
}
static void c_no_ext_block(void)
{
    assert_int_equal(result.ch.num_ciphers, 1);
    assert_int_equal(result.ch.num_exts, 0);
    assert_false(result.ch.has_sni);
}

static struct capbuf *b_empty_ext_block(void)
{
    return with_exts(ch_head(0, 1, 1), tb_new());
}

static struct capbuf *b_sid32(void)
{
    return with_exts(ch_head(32, 1, 1), tb_new());
}
static void c_sid32(void)
{
    assert_int_equal(result.ch.session_id_len, 32);
    assert_int_equal(result.ch.session_id[31], 0x22);
}

static struct capbuf *b_sid33(void)
{
    return with_exts(ch_head(33, 1, 1), tb_new());
}

/* cipher_suites<2..2^16-2> with zero suites: rebuilt by hand since ch_head writes suites. */
static struct capbuf *b_zero_ciphers(void)
{
    struct capbuf *b = ch_head(0, 0, 1);
    return with_exts(b, tb_new());
}

static struct capbuf *b_odd_ciphers(void)
{
    struct capbuf *b = tb_new();
    uint8_t random[32] = {0};
    put_u16(b, 0x0303);
    put_bytes(b, random, 32);
    put_u8(b, 0);
    uint8_t odd[3] = {0x13, 0x01, 0x13};
    put_vec16(b, odd, 3);
    put_u8(b, 1);
    put_u8(b, 0);
    return b;
}

/* The largest cipher list a 16-bit vector holds: 32767 suites. */
static struct capbuf *b_max_ciphers(void)
{
    return ch_head(0, 32767, 1);
}
static void c_max_ciphers(void)
{
    assert_int_equal(result.ch.num_ciphers, 32767);
    assert_true(result.ch.ciphers_truncated);
    assert_int_equal(result.ch.ciphers[TLS_CH_MAX_CIPHERS - 1], 0x1301 + TLS_CH_MAX_CIPHERS - 1);
}

static struct capbuf *b_no_compression(void)
{
    return with_exts(ch_head(0, 1, 0), tb_new());
}

static struct capbuf *b_max_compression(void)
{
    return with_exts(ch_head(0, 1, 255), tb_new());
}
static void c_max_compression(void)
{
    assert_int_equal(result.ch.num_compressions, 255);
}

static struct capbuf *b_trailing(void)
{
    struct capbuf *b = ch_with(sni_ext("a.example"));
    put_u8(b, 0);
    return b;
}

static struct capbuf *b_duplicate_sni(void)
{
    struct capbuf *exts = sni_ext("a.example"), *second = sni_ext("b.example");
    put_bytes(exts, second->data, second->len);
    cb_free(second);
    return ch_with(exts);
}

/* The same unknown extension twice is just as forbidden as a known one (RFC 8446 §4.2). */
static struct capbuf *b_duplicate_unknown(void)
{
    struct capbuf *exts = tb_new();
    put_ext(exts, 0x7777, "x", 1);
    put_ext(exts, TLS_EXT_EXTENDED_MASTER_SECRET, NULL, 0);
    put_ext(exts, 0x7777, "", 0);
    return ch_with(exts);
}

/* 100 distinct unknown extensions, all empty: more than TLS_MAX_EXTS are counted. */
static struct capbuf *b_many_exts(void)
{
    struct capbuf *exts = tb_new();
    for (unsigned i = 0; i < 100; i++) {
        put_ext(exts, 0x3000 + i, NULL, 0);
    }
    return ch_with(exts);
}
static void c_many_exts(void)
{
    assert_int_equal(result.ch.num_exts, 100);
    assert_true(result.ch.exts_truncated);
    assert_int_equal(result.ch.exts[TLS_MAX_EXTS - 1], 0x3000 + TLS_MAX_EXTS - 1);
}

static struct capbuf *b_sni_ctrl(void)
{
    return ch_with(sni_ext("a\x01"
                           "b\x7f"
                           "c.example"));
}
static void c_sni_ctrl(void)
{
    assert_true(result.ch.has_sni);
    assert_string_equal(result.ch.sni, "a?b?c.example");
}

/* A 300-byte host name is kept as its first TLS_MAX_SNI-1 bytes. */
static struct capbuf *b_sni_long(void)
{
    char host[301];
    memset(host, 'h', 300);
    host[300] = '\0';
    return ch_with(sni_ext(host));
}
static void c_sni_long(void)
{
    assert_int_equal(strlen(result.ch.sni), TLS_MAX_SNI - 1);
}

static struct capbuf *b_sni_empty_list(void)
{
    struct capbuf *exts = tb_new();
    uint8_t empty_list[2] = {0, 0};
    put_ext(exts, TLS_EXT_SERVER_NAME, empty_list, 2);
    return ch_with(exts);
}

static struct capbuf *b_sni_empty_name(void)
{
    return ch_with(sni_ext(""));
}

/* RFC 6066 §3: two host_name entries in one list. */
static struct capbuf *b_sni_two_hosts(void)
{
    struct capbuf *list = tb_new(), *data = tb_new(), *exts = tb_new();
    put_u8(list, 0);
    put_vec16(list, "a", 1);
    put_u8(list, 0);
    put_vec16(list, "b", 1);
    put_vec16(data, list->data, list->len);
    add_ext_array(exts, TLS_EXT_SERVER_NAME, data);
    cb_free(list);
    return ch_with(exts);
}

static struct capbuf *b_alpn_many(void)
{
    static const char *const NAMES[] = {"h2", "http/1.1", "a", "b", "c", "d", "e", "f", "g", "z"};
    struct capbuf *exts = tb_new();
    add_ext_array(exts, TLS_EXT_ALPN, alpn_data(NAMES, 10));
    return ch_with(exts);
}
static void c_alpn_many(void)
{
    assert_int_equal(result.ch.num_alpn, TLS_MAX_ALPN);
    assert_string_equal(result.ch.alpn[0], "h2");
    assert_string_equal(result.ch.alpn[7], "f");
    assert_int_equal(result.ch.alpn_first_byte, 'h');
    assert_int_equal(result.ch.alpn_last_byte, '2');
}

static struct capbuf *b_alpn_empty_name(void)
{
    static const char *const NAMES[] = {"h2", ""};
    struct capbuf *exts = tb_new();
    add_ext_array(exts, TLS_EXT_ALPN, alpn_data(NAMES, 2));
    return ch_with(exts);
}

static struct capbuf *b_alpn_empty_list(void)
{
    struct capbuf *exts = tb_new();
    add_ext_array(exts, TLS_EXT_ALPN, alpn_data(NULL, 0));
    return ch_with(exts);
}

static struct capbuf *b_versions_odd(void)
{
    struct capbuf *exts = tb_new();
    uint8_t v[4] = {3, 0x03, 0x04, 0x03};
    put_ext(exts, TLS_EXT_SUPPORTED_VERSIONS, v, sizeof(v));
    return ch_with(exts);
}

static struct capbuf *b_versions_grease(void)
{
    struct capbuf *exts = tb_new();
    uint8_t v[7] = {6, 0x7a, 0x7a, 0x03, 0x04, 0x03, 0x03};
    put_ext(exts, TLS_EXT_SUPPORTED_VERSIONS, v, sizeof(v));
    return ch_with(exts);
}
static void c_versions_grease(void)
{
    static const uint16_t WANT[] = {0x7a7a, 0x0304, 0x0303};
    assert_u16s(result.ch.versions, result.ch.num_versions, WANT, 3);
}

static struct capbuf *b_ems_nonempty(void)
{
    struct capbuf *exts = tb_new();
    put_ext(exts, TLS_EXT_EXTENDED_MASTER_SECRET, "x", 1);
    return ch_with(exts);
}

static struct capbuf *b_early_data_nonempty(void)
{
    struct capbuf *exts = tb_new();
    put_ext(exts, TLS_EXT_EARLY_DATA, "\0\0\0\1", 4);
    return ch_with(exts);
}

static struct capbuf *b_psk_two(void)
{
    struct capbuf *exts = tb_new();
    uint8_t modes[2] = {1, 1};
    put_ext(exts, TLS_EXT_EARLY_DATA, NULL, 0);
    put_ext(exts, TLS_EXT_PSK_KEY_EXCHANGE_MODES, modes, 2);
    add_ext_array(exts, TLS_EXT_PRE_SHARED_KEY, psk_data(2, 2, 32));
    return ch_with(exts);
}
static void c_psk_two(void)
{
    assert_true(result.ch.has_psk);
    assert_int_equal(result.ch.psk_identities, 2);
    assert_int_equal(cur_len(&result.ch.psk_first_identity), 5);
    assert_false(result.ch.psk_not_last);
    assert_true(result.ch.early_data);
    assert_int_equal(result.ch.psk_modes, 0x2);
}

/* RFC 8446 §4.2.11 MUST, recorded rather than enforced. */
static struct capbuf *b_psk_not_last(void)
{
    struct capbuf *exts = tb_new();
    add_ext_array(exts, TLS_EXT_PRE_SHARED_KEY, psk_data(1, 1, 32));
    put_ext(exts, TLS_EXT_EXTENDED_MASTER_SECRET, NULL, 0);
    return ch_with(exts);
}
static void c_psk_not_last(void)
{
    assert_true(result.ch.has_psk);
    assert_true(result.ch.psk_not_last);
    assert_true(result.ch.extended_master_secret);
}

static struct capbuf *b_psk_binder_mismatch(void)
{
    struct capbuf *exts = tb_new();
    add_ext_array(exts, TLS_EXT_PRE_SHARED_KEY, psk_data(2, 1, 32));
    return ch_with(exts);
}

static struct capbuf *b_psk_short_binder(void)
{
    struct capbuf *exts = tb_new();
    add_ext_array(exts, TLS_EXT_PRE_SHARED_KEY, psk_data(1, 1, 31));
    return ch_with(exts);
}

static struct capbuf *b_ticket_and_reneg(void)
{
    struct capbuf *exts = tb_new();
    uint8_t reneg[1] = {0};
    uint8_t status[5] = {1, 0, 0, 0, 0};
    put_ext(exts, TLS_EXT_SESSION_TICKET, "TICKET", 6);
    put_ext(exts, TLS_EXT_RENEGOTIATION_INFO, reneg, 1);
    put_ext(exts, TLS_EXT_STATUS_REQUEST, status, 5);
    put_ext(exts, TLS_EXT_ENCRYPT_THEN_MAC, NULL, 0);
    return ch_with(exts);
}
static void c_ticket_and_reneg(void)
{
    assert_true(result.ch.has_session_ticket);
    assert_int_equal(cur_len(&result.ch.ticket), 6);
    assert_true(result.ch.renegotiation_info);
    assert_true(result.ch.status_request);
    assert_true(result.ch.encrypt_then_mac);
}

static struct capbuf *b_key_share_empty_key(void)
{
    struct capbuf *exts = tb_new();
    uint8_t ks[6] = {0, 4, 0, 0x1d, 0, 0};
    put_ext(exts, TLS_EXT_KEY_SHARE, ks, sizeof(ks));
    return ch_with(exts);
}

/* RFC 8446 §4.2.8: an empty client_shares list is valid (the client waits for an HRR). */
static struct capbuf *b_key_share_empty_list(void)
{
    struct capbuf *exts = tb_new();
    uint8_t ks[2] = {0, 0};
    put_ext(exts, TLS_EXT_KEY_SHARE, ks, sizeof(ks));
    return ch_with(exts);
}
static void c_key_share_empty_list(void)
{
    assert_int_equal(result.ch.num_key_share_groups, 0);
    assert_int_equal(result.ch.num_exts, 1);
}

/* ServerHello builders */
static struct capbuf *sh_head(const uint8_t random[32], unsigned cipher)
{
    struct capbuf *b = tb_new();
    put_u16(b, 0x0303);
    put_bytes(b, random, 32);
    put_vec8(b, "SESSION", 7);
    put_u16(b, cipher);
    put_u8(b, 0);
    return b;
}

static struct capbuf *b_hrr(void)
{
    struct capbuf *exts = tb_new();
    uint8_t v[2] = {3, 4}, group[2] = {0x11, 0xec};
    put_ext(exts, TLS_EXT_SUPPORTED_VERSIONS, v, 2);
    put_ext(exts, TLS_EXT_KEY_SHARE, group, 2);
    return with_exts(sh_head(HRR_RANDOM, 0x1301), exts);
}
static void c_hrr(void)
{
    assert_true(result.sh.hello_retry_request);
    assert_int_equal(result.sh.key_share_group, 0x11ec);
    assert_int_equal(result.sh.selected_version, 0x0304);
    assert_int_equal(result.sh.session_id_len, 7);
}

/* A plain ServerHello's key_share is a full KeyShareEntry, so a bare group is malformed. */
static struct capbuf *b_sh_bare_group(void)
{
    uint8_t random[32];
    memset(random, 0x44, sizeof(random));
    struct capbuf *exts = tb_new();
    uint8_t group[2] = {0, 0x1d};
    put_ext(exts, TLS_EXT_KEY_SHARE, group, 2);
    return with_exts(sh_head(random, 0x1301), exts);
}

static struct capbuf *b_sh_alpn(void)
{
    static const char *const ONE[] = {"h2"};
    uint8_t random[32];
    memset(random, 0x44, sizeof(random));
    struct capbuf *exts = tb_new();
    add_ext_array(exts, TLS_EXT_ALPN, alpn_data(ONE, 1));
    put_ext(exts, TLS_EXT_SESSION_TICKET, NULL, 0);
    put_ext(exts, TLS_EXT_ENCRYPT_THEN_MAC, NULL, 0);
    return with_exts(sh_head(random, 0xc02f), exts);
}
static void c_sh_alpn(void)
{
    assert_false(result.sh.hello_retry_request);
    assert_string_equal(result.sh.alpn, "h2");
    assert_true(result.sh.has_session_ticket);
    assert_true(result.sh.encrypt_then_mac);
    assert_int_equal(result.sh.cipher, 0xc02f);
}

/* RFC 7301 §3.1: exactly one name in the server's list. */
static struct capbuf *b_sh_alpn_two(void)
{
    static const char *const TWO[] = {"h2", "http/1.1"};
    uint8_t random[32] = {0};
    struct capbuf *exts = tb_new();
    add_ext_array(exts, TLS_EXT_ALPN, alpn_data(TWO, 2));
    return with_exts(sh_head(random, 0xc02f), exts);
}

static struct capbuf *b_sh_duplicate(void)
{
    uint8_t random[32] = {0};
    struct capbuf *exts = tb_new();
    put_ext(exts, TLS_EXT_EXTENDED_MASTER_SECRET, NULL, 0);
    put_ext(exts, TLS_EXT_EXTENDED_MASTER_SECRET, NULL, 0);
    return with_exts(sh_head(random, 0xc02f), exts);
}

static struct capbuf *b_sh_ticket_nonempty(void)
{
    uint8_t random[32] = {0};
    struct capbuf *exts = tb_new();
    put_ext(exts, TLS_EXT_SESSION_TICKET, "x", 1);
    return with_exts(sh_head(random, 0xc02f), exts);
}

static struct capbuf *b_sh_no_exts(void)
{
    uint8_t random[32] = {0};
    return sh_head(random, 0x002f);
}
static void c_sh_no_exts(void)
{
    assert_int_equal(result.sh.num_exts, 0);
    assert_int_equal(result.sh.selected_version, 0);
    assert_int_equal(result.sh.cipher, 0x002f);
}

/* SSLv2 CLIENT-HELLO (RFC 6101 E.2): two SSLv2-only specs and two TLS suites, no session ID,
 * a 16-byte challenge. */
static struct capbuf *sslv2(unsigned specs_len, unsigned sid_len, unsigned challenge_len)
{
    static const uint8_t SPECS[] = {0x01, 0x00, 0x80, 0x00, 0x00, 0x04,
                                    0x07, 0x00, 0xc0, 0x00, 0x00, 0x2f};
    struct capbuf *b = tb_new();
    uint8_t sid[16], challenge[32];
    memset(sid, 0x55, sizeof(sid));
    for (unsigned i = 0; i < sizeof(challenge); i++) {
        challenge[i] = (uint8_t)(0xa0 + i);
    }
    put_u8(b, 1);
    put_u16(b, 0x0301);
    put_u16(b, specs_len);
    put_u16(b, sid_len);
    put_u16(b, challenge_len);
    put_bytes(b, SPECS, sizeof(SPECS));
    put_bytes(b, sid, sid_len);
    put_bytes(b, challenge, challenge_len);
    return b;
}

static struct capbuf *b_sslv2(void)
{
    return sslv2(12, 0, 16);
}
static void c_sslv2(void)
{
    static const uint16_t WANT[] = {0x0004, 0x002f};
    assert_true(result.ch.sslv2);
    assert_int_equal(result.ch.legacy_version, 0x0301);
    assert_u16s(result.ch.ciphers, result.ch.num_ciphers, WANT, 2);
    assert_int_equal(result.ch.random[15], 0);
    assert_int_equal(result.ch.random[16], 0xa0);
    assert_int_equal(result.ch.random[31], 0xaf);
    assert_int_equal(result.ch.num_exts, 0);
}

static struct capbuf *b_sslv2_sid16(void)
{
    return sslv2(12, 16, 32);
}
static void c_sslv2_sid16(void)
{
    assert_int_equal(result.ch.session_id_len, 16);
    assert_int_equal(result.ch.random[0], 0xa0);
}

static struct capbuf *b_sslv2_sid5(void)
{
    return sslv2(12, 5, 16);
}

static struct capbuf *b_sslv2_specs_not_triple(void)
{
    struct capbuf *b = sslv2(12, 0, 16);
    b->data[4] = 11; /* cipher_spec_length low byte */
    return b;
}

static struct capbuf *b_sslv2_trailing(void)
{
    struct capbuf *b = sslv2(12, 0, 16);
    put_u8(b, 0);
    return b;
}

static struct capbuf *b_sslv2_server_hello(void)
{
    struct capbuf *b = sslv2(12, 0, 16);
    b->data[0] = 4;
    return b;
}

/* NewSessionTicket shapes */
static struct capbuf *b_nst12_empty_ticket(void)
{
    struct capbuf *b = tb_new();
    put_u16(b, 0);
    put_u16(b, 0);
    put_vec16(b, NULL, 0);
    return b;
}
static void c_nst12_empty_ticket(void)
{
    assert_int_equal(cur_len(&result.nst.ticket), 0);
}

static struct capbuf *nst13(size_t ticket_len, struct capbuf *exts)
{
    struct capbuf *b = tb_new();
    uint8_t ticket[300];
    memset(ticket, 0x66, sizeof(ticket));
    put_u16(b, 0);
    put_u16(b, 604800 & 0xffff); /* lifetime 0x0000xxxx */
    put_u16(b, 0x1234);
    put_u16(b, 0x5678);
    put_vec8(b, "\0\1", 2);
    put_vec16(b, ticket, ticket_len);
    put_vec16(b, exts->data, exts->len);
    cb_free(exts);
    return b;
}

static struct capbuf *b_nst13_empty_ticket(void)
{
    return nst13(0, tb_new());
}

static struct capbuf *b_nst13_early_data(void)
{
    struct capbuf *exts = tb_new();
    put_ext(exts, TLS_EXT_EARLY_DATA, "\0\0\x40\0", 4);
    return nst13(100, exts);
}
static void c_nst13_early_data(void)
{
    assert_int_equal(cur_len(&result.nst.ticket), 100);
    assert_int_equal(result.nst.lifetime, 604800 & 0xffff);
}

static struct capbuf *b_nst13_early_data_short(void)
{
    struct capbuf *exts = tb_new();
    put_ext(exts, TLS_EXT_EARLY_DATA, "\0\0", 2);
    return nst13(100, exts);
}

static struct capbuf *b_nst13_dup_ext(void)
{
    struct capbuf *exts = tb_new();
    put_ext(exts, 0x5555, NULL, 0);
    put_ext(exts, 0x5555, NULL, 0);
    return nst13(100, exts);
}

/* ServerKeyExchange shapes */
static struct capbuf *b_ske_explicit(void)
{
    struct capbuf *b = tb_new();
    put_u8(b, 1); /* explicit_prime: no named group */
    put_u8(b, 0);
    return b;
}
static void c_ske_zero(void)
{
    assert_int_equal(result.group, 0);
}

static struct capbuf *b_ske_empty_point(void)
{
    struct capbuf *b = tb_new();
    put_u8(b, 3);
    put_u16(b, 0x0017);
    put_u8(b, 0);
    return b;
}

static struct capbuf *b_ske_empty(void)
{
    return tb_new();
}

static const struct syn_row SYN_ROWS[] = {
    {"CH without extensions block", K_CH, b_no_ext_block, TLS_DECODE_OK, c_no_ext_block},
    {"CH with empty extensions block", K_CH, b_empty_ext_block, TLS_DECODE_OK, c_no_ext_block},
    {"CH session_id 32", K_CH, b_sid32, TLS_DECODE_OK, c_sid32},
    {"CH session_id 33", K_CH, b_sid33, TLS_DECODE_MALFORMED, NULL},
    {"CH zero cipher suites", K_CH, b_zero_ciphers, TLS_DECODE_MALFORMED, NULL},
    {"CH odd cipher list", K_CH, b_odd_ciphers, TLS_DECODE_MALFORMED, NULL},
    {"CH 32767 cipher suites", K_CH, b_max_ciphers, TLS_DECODE_OK, c_max_ciphers},
    {"CH empty compression list", K_CH, b_no_compression, TLS_DECODE_MALFORMED, NULL},
    {"CH 255 compression methods", K_CH, b_max_compression, TLS_DECODE_OK, c_max_compression},
    {"CH trailing byte", K_CH, b_trailing, TLS_DECODE_MALFORMED, NULL},
    {"CH duplicate server_name", K_CH, b_duplicate_sni, TLS_DECODE_MALFORMED, NULL},
    {"CH duplicate unknown extension", K_CH, b_duplicate_unknown, TLS_DECODE_MALFORMED, NULL},
    {"CH 100 extensions", K_CH, b_many_exts, TLS_DECODE_OK, c_many_exts},
    {"CH SNI control bytes", K_CH, b_sni_ctrl, TLS_DECODE_OK, c_sni_ctrl},
    {"CH SNI 300 bytes", K_CH, b_sni_long, TLS_DECODE_OK, c_sni_long},
    {"CH SNI empty list", K_CH, b_sni_empty_list, TLS_DECODE_MALFORMED, NULL},
    {"CH SNI empty name", K_CH, b_sni_empty_name, TLS_DECODE_MALFORMED, NULL},
    {"CH SNI two host_names", K_CH, b_sni_two_hosts, TLS_DECODE_MALFORMED, NULL},
    {"CH ALPN 10 names", K_CH, b_alpn_many, TLS_DECODE_OK, c_alpn_many},
    {"CH ALPN empty name", K_CH, b_alpn_empty_name, TLS_DECODE_MALFORMED, NULL},
    {"CH ALPN empty list", K_CH, b_alpn_empty_list, TLS_DECODE_MALFORMED, NULL},
    {"CH supported_versions odd", K_CH, b_versions_odd, TLS_DECODE_MALFORMED, NULL},
    {"CH supported_versions GREASE", K_CH, b_versions_grease, TLS_DECODE_OK, c_versions_grease},
    {"CH EMS not empty", K_CH, b_ems_nonempty, TLS_DECODE_MALFORMED, NULL},
    {"CH early_data not empty", K_CH, b_early_data_nonempty, TLS_DECODE_MALFORMED, NULL},
    {"CH PSK two identities", K_CH, b_psk_two, TLS_DECODE_OK, c_psk_two},
    {"CH PSK not last", K_CH, b_psk_not_last, TLS_DECODE_OK, c_psk_not_last},
    {"CH PSK binder count", K_CH, b_psk_binder_mismatch, TLS_DECODE_MALFORMED, NULL},
    {"CH PSK 31-byte binder", K_CH, b_psk_short_binder, TLS_DECODE_MALFORMED, NULL},
    {"CH ticket, reneg, OCSP, ETM", K_CH, b_ticket_and_reneg, TLS_DECODE_OK, c_ticket_and_reneg},
    {"CH key_share empty key", K_CH, b_key_share_empty_key, TLS_DECODE_MALFORMED, NULL},
    {"CH key_share empty list", K_CH, b_key_share_empty_list, TLS_DECODE_OK,
     c_key_share_empty_list},
    {"SH HelloRetryRequest", K_SH, b_hrr, TLS_DECODE_OK, c_hrr},
    {"SH key_share bare group", K_SH, b_sh_bare_group, TLS_DECODE_MALFORMED, NULL},
    {"SH ALPN and ticket", K_SH, b_sh_alpn, TLS_DECODE_OK, c_sh_alpn},
    {"SH ALPN two names", K_SH, b_sh_alpn_two, TLS_DECODE_MALFORMED, NULL},
    {"SH duplicate extension", K_SH, b_sh_duplicate, TLS_DECODE_MALFORMED, NULL},
    {"SH session_ticket not empty", K_SH, b_sh_ticket_nonempty, TLS_DECODE_MALFORMED, NULL},
    {"SH without extensions", K_SH, b_sh_no_exts, TLS_DECODE_OK, c_sh_no_exts},
    {"SSLv2 hello", K_SSLV2, b_sslv2, TLS_DECODE_OK, c_sslv2},
    {"SSLv2 hello session_id 16", K_SSLV2, b_sslv2_sid16, TLS_DECODE_OK, c_sslv2_sid16},
    {"SSLv2 session_id 5", K_SSLV2, b_sslv2_sid5, TLS_DECODE_MALFORMED, NULL},
    {"SSLv2 spec length 11", K_SSLV2, b_sslv2_specs_not_triple, TLS_DECODE_MALFORMED, NULL},
    {"SSLv2 trailing byte", K_SSLV2, b_sslv2_trailing, TLS_DECODE_MALFORMED, NULL},
    {"SSLv2 not a CLIENT-HELLO", K_SSLV2, b_sslv2_server_hello, TLS_DECODE_MALFORMED, NULL},
    {"NST12 empty ticket", K_NST12, b_nst12_empty_ticket, TLS_DECODE_OK, c_nst12_empty_ticket},
    {"NST13 empty ticket", K_NST13, b_nst13_empty_ticket, TLS_DECODE_MALFORMED, NULL},
    {"NST13 early_data", K_NST13, b_nst13_early_data, TLS_DECODE_OK, c_nst13_early_data},
    {"NST13 early_data short", K_NST13, b_nst13_early_data_short, TLS_DECODE_MALFORMED, NULL},
    {"NST13 duplicate extension", K_NST13, b_nst13_dup_ext, TLS_DECODE_MALFORMED, NULL},
    {"SKE explicit curve", K_SKE, b_ske_explicit, TLS_DECODE_OK, c_ske_zero},
    {"SKE empty point", K_SKE, b_ske_empty_point, TLS_DECODE_MALFORMED, NULL},
    {"SKE empty body", K_SKE, b_ske_empty, TLS_DECODE_TRUNCATED, NULL},
};

/* A synthetic vector decodes to its expected status; valid ones also pass the prefix rule (no
 * strict prefix is OK except a hello cut before its extensions block). A ServerKeyExchange is
 * exempt: for a curve type other than named_curve the decoder reads only that first byte. */
static void test_synthetic(void **state)
{
    const struct syn_row *r = *state;
    struct capbuf *b = r->build();
    assert_int_equal(decode_copy(r->kind, b->data, b->len), r->want);
    if (r->want == TLS_DECODE_OK) {
        if (r->check) {
            r->check();
        }
        for (size_t n = 0; r->kind != K_SKE && n < b->len; n++) {
            if (decode_copy(r->kind, b->data, n) == TLS_DECODE_OK) {
                bool bare_hello = (r->kind == K_CH && result.ch.num_exts == 0) ||
                                  (r->kind == K_SH && result.sh.num_exts == 0);
                if (!bare_hello) {
                    fail_msg("%s: prefix of %zu bytes decoded OK", r->name, n);
                }
            }
        }
    }
    cb_free(b);
}

/* ------------------------------------- every interpreted extension must end with its data */

/* A valid body of each extension the decoders interpret. Decoded alone it is OK; with one byte
 * appended inside the extension (the extension length grown to match) it is MALFORMED, since
 * each nested vector is parsed from its own cursor that must end empty. */
struct ext_row {
    const char *name;
    enum kind kind;
    uint16_t type;
    const char *data;
    size_t len;
};

#define EXT_ROW(k, n, t, lit)                                                                      \
    {                                                                                              \
        n, k, t, lit, sizeof(lit) - 1                                                              \
    }

static const struct ext_row EXT_ROWS[] = {
    EXT_ROW(K_CH, "CH server_name", TLS_EXT_SERVER_NAME, "\x00\x04\x00\x00\x01h"),
    EXT_ROW(K_CH, "CH ALPN", TLS_EXT_ALPN, "\x00\x03\x02h2"),
    EXT_ROW(K_CH, "CH supported_versions", TLS_EXT_SUPPORTED_VERSIONS, "\x02\x03\x04"),
    EXT_ROW(K_CH, "CH supported_groups", TLS_EXT_SUPPORTED_GROUPS, "\x00\x02\x00\x1d"),
    EXT_ROW(K_CH, "CH signature_algorithms", TLS_EXT_SIGNATURE_ALGORITHMS, "\x00\x02\x04\x03"),
    EXT_ROW(K_CH, "CH ec_point_formats", TLS_EXT_EC_POINT_FORMATS, "\x01\x00"),
    EXT_ROW(K_CH, "CH key_share", TLS_EXT_KEY_SHARE, "\x00\x05\x00\x1d\x00\x01\x07"),
    EXT_ROW(K_CH, "CH pre_shared_key", TLS_EXT_PRE_SHARED_KEY,
            "\x00\x07\x00\x01\x49\x00\x00\x00\x00"
            "\x00\x21\x20"
            "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"),
    EXT_ROW(K_CH, "CH psk_key_exchange_modes", TLS_EXT_PSK_KEY_EXCHANGE_MODES, "\x01\x01"),
    EXT_ROW(K_CH, "CH status_request", TLS_EXT_STATUS_REQUEST, "\x01\x00\x00\x00\x00"),
    EXT_ROW(K_CH, "CH renegotiation_info", TLS_EXT_RENEGOTIATION_INFO, "\x00"),
    EXT_ROW(K_CH, "CH extended_master_secret", TLS_EXT_EXTENDED_MASTER_SECRET, ""),
    EXT_ROW(K_CH, "CH encrypt_then_mac", TLS_EXT_ENCRYPT_THEN_MAC, ""),
    EXT_ROW(K_CH, "CH early_data", TLS_EXT_EARLY_DATA, ""),
    EXT_ROW(K_SH, "SH supported_versions", TLS_EXT_SUPPORTED_VERSIONS, "\x03\x04"),
    EXT_ROW(K_SH, "SH pre_shared_key", TLS_EXT_PRE_SHARED_KEY, "\x00\x00"),
    EXT_ROW(K_SH, "SH key_share", TLS_EXT_KEY_SHARE, "\x00\x1d\x00\x01\x07"),
    EXT_ROW(K_SH, "SH ALPN", TLS_EXT_ALPN, "\x00\x03\x02h2"),
    EXT_ROW(K_SH, "SH renegotiation_info", TLS_EXT_RENEGOTIATION_INFO, "\x00"),
    EXT_ROW(K_SH, "SH extended_master_secret", TLS_EXT_EXTENDED_MASTER_SECRET, ""),
    EXT_ROW(K_SH, "SH encrypt_then_mac", TLS_EXT_ENCRYPT_THEN_MAC, ""),
    EXT_ROW(K_SH, "SH session_ticket", TLS_EXT_SESSION_TICKET, ""),
};

static struct capbuf *hello_with_ext(enum kind k, uint16_t type, const char *data, size_t len,
                                  bool extra)
{
    uint8_t random[32];
    memset(random, 0x44, sizeof(random));
    struct capbuf *exts = tb_new();
    put_u16(exts, type);
    put_u16(exts, (unsigned)(len + (extra ? 1 : 0)));
    put_bytes(exts, data, len);
    if (extra) {
        put_u8(exts, 0);
    }
    return with_exts(k == K_CH ? ch_head(0, 1, 1) : sh_head(random, 0x1301), exts);
}

static void test_ext_tail(void **state)
{
    const struct ext_row *r = *state;
    struct capbuf *ok = hello_with_ext(r->kind, r->type, r->data, r->len, false);
    struct capbuf *bad = hello_with_ext(r->kind, r->type, r->data, r->len, true);
    assert_int_equal(decode_copy(r->kind, ok->data, ok->len), TLS_DECODE_OK);
    assert_int_equal(decode_copy(r->kind, bad->data, bad->len), TLS_DECODE_MALFORMED);
    cb_free(ok);
    cb_free(bad);
}

/* ------------------------------------- duplicate extensions, at every size of block */

/* The decoders remember the types seen in a small set and move to one bit per type past 128 of
 * them: a block of n distinct types decodes, and the same block with one of them again (the
 * first, the middle or the last one, so a type from before the move and one from after) does
 * not, in each of the three decoders that check. Types are scattered over 0x3000..0x6fff (an odd
 * multiplier permutes them), none of them interpreted. */
struct dup_row {
    enum kind kind;
    unsigned n;
};

static const struct dup_row DUP_ROWS[] = {
    {K_CH, 1},   {K_CH, 2},   {K_CH, 20},  {K_CH, 127}, {K_CH, 128}, {K_CH, 129}, {K_CH, 300},
    {K_SH, 2},   {K_SH, 128}, {K_SH, 129}, {K_SH, 300}, {K_NST13, 2}, {K_NST13, 129},
    {K_NST13, 300},
};

static uint16_t dup_type(unsigned i)
{
    return (uint16_t)(0x3000 + ((i * 40503u) & 0x3fff));
}

static struct capbuf *dup_block(const struct dup_row *r, int again)
{
    uint8_t random[32] = {0};
    struct capbuf *exts = tb_new();
    for (unsigned i = 0; i < r->n; i++) {
        put_ext(exts, dup_type(i), NULL, 0);
    }
    if (again >= 0) {
        put_ext(exts, dup_type((unsigned)again), NULL, 0);
    }
    switch (r->kind) {
    case K_CH:
        return ch_with(exts);
    case K_SH:
        return with_exts(sh_head(random, 0xc02f), exts);
    default:
        return nst13(100, exts);
    }
}

static void test_duplicates(void **state)
{
    const struct dup_row *r = *state;
    struct capbuf *b = dup_block(r, -1);
    assert_int_equal(decode_copy(r->kind, b->data, b->len), TLS_DECODE_OK);
    if (r->kind == K_CH) {
        assert_int_equal(result.ch.num_exts, r->n);
    } else if (r->kind == K_SH) {
        assert_int_equal(result.sh.num_exts, r->n);
    }
    cb_free(b);
    const unsigned again[] = {0, r->n / 2, r->n - 1};
    for (size_t k = 0; k < G_N_ELEMENTS(again); k++) {
        b = dup_block(r, (int)again[k]);
        if (decode_copy(r->kind, b->data, b->len) != TLS_DECODE_MALFORMED) {
            fail_msg("%u extensions and the %u-th again: not MALFORMED", r->n, again[k]);
        }
        cb_free(b);
    }
}

int main(void)
{
    struct test_list l = {NULL, 0};
    for (size_t i = 0; i < sizeof(CH_ROWS) / sizeof(CH_ROWS[0]); i++) {
        test_list_add(&l, test_ch_fields, (void *)&CH_ROWS[i], "fields %s", CH_ROWS[i].name);
    }
    for (size_t i = 0; i < sizeof(SH_ROWS) / sizeof(SH_ROWS[0]); i++) {
        test_list_add(&l, test_sh_fields, (void *)&SH_ROWS[i], "fields %s", SH_ROWS[i].name);
    }
    test_list_add(&l, test_nst_real, NULL, "fields NST12 frame 42, NST13 frame 76");
    test_list_add(&l, test_ske_real, NULL, "fields SKE12 frame 6");
    for (size_t i = 0; i < sizeof(ROBUST_ROWS) / sizeof(ROBUST_ROWS[0]); i++) {
        test_list_add(&l, test_prefixes, (void *)&ROBUST_ROWS[i], "prefixes %s",
                      ROBUST_ROWS[i].name);
        test_list_add(&l, test_length_mutations, (void *)&ROBUST_ROWS[i], "lengths %s",
                      ROBUST_ROWS[i].name);
    }
    for (size_t i = 0; i < sizeof(SYN_ROWS) / sizeof(SYN_ROWS[0]); i++) {
        test_list_add(&l, test_synthetic, (void *)&SYN_ROWS[i], "%s", SYN_ROWS[i].name);
    }
    for (size_t i = 0; i < sizeof(EXT_ROWS) / sizeof(EXT_ROWS[0]); i++) {
        test_list_add(&l, test_ext_tail, (void *)&EXT_ROWS[i], "byte after %s", EXT_ROWS[i].name);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(DUP_ROWS); i++) {
        test_list_add(&l, test_duplicates, (void *)&DUP_ROWS[i], "duplicates %s %u extensions",
                      DUP_ROWS[i].kind == K_CH   ? "CH"
                      : DUP_ROWS[i].kind == K_SH ? "SH"
                                                 : "NST13",
                      DUP_ROWS[i].n);
    }
    return test_list_run("tls_hello", &l);
}
