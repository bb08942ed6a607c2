/* cls_shape_append: two hello segments that differ only in what every connection draws afresh
 * have the same shape; any other difference shows. Each row builds a base segment and a variant
 * from the same parameters with one thing changed, and says whether the shapes must match. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "classify_internal.h"
#include "tls_test_build.h"

/* What a hello segment is built from. */
struct hello_params {
    bool server;
    uint8_t random_fill;
    uint8_t sid_len, sid_fill;
    uint16_t cipher;
    const char *sni;
    uint16_t ks_group;
    uint8_t ks_fill;
    uint8_t psk_fill; /* 0: no pre_shared_key extension */
    uint8_t ticket_fill;
    /* After the hello record: a change_cipher_spec and an encrypted handshake record whose
     * first bytes are these (a TLS 1.2 Finished), when enc_len > 0. */
    uint8_t enc_head[4];
    uint8_t enc_len;
    bool certificate;     /* a Certificate message after the hello, in the same record */
    uint8_t cert_fill;    /* its one certificate's bytes */
    uint16_t cert_len;    /* their number; 0: 20 */
    bool cut_hello;       /* the hello record continues past the segment */
    uint8_t app_data_cut; /* a trailing application data record cut after this many bytes */
};

static struct capbuf *build(const struct hello_params *p)
{
    struct capbuf *body = tb_new();
    put_u16(body, 0x0303);
    for (int i = 0; i < 32; i++) {
        put_u8(body, p->random_fill);
    }
    put_u8(body, p->sid_len);
    for (int i = 0; i < p->sid_len; i++) {
        put_u8(body, p->sid_fill);
    }
    if (p->server) {
        put_u16(body, p->cipher);
        put_u8(body, 0);
    } else {
        put_u16(body, 4);
        put_u16(body, p->cipher);
        put_u16(body, 0x00ff);
        put_u8(body, 1);
        put_u8(body, 0);
    }
    struct capbuf *ext = tb_new();
    if (!p->server && p->sni) {
        struct capbuf *sn = tb_new();
        put_u16(sn, (unsigned)strlen(p->sni) + 3);
        put_u8(sn, 0);
        put_vec16(sn, p->sni, strlen(p->sni));
        put_ext(ext, 0, sn->data, sn->len);
        cb_free(sn);
    }
    struct capbuf *ks = tb_new();
    uint8_t key[32];
    memset(key, p->ks_fill, sizeof(key));
    if (!p->server) {
        put_u16(ks, 2 + 2 + sizeof(key));
    }
    put_u16(ks, p->ks_group);
    put_vec16(ks, key, sizeof(key));
    put_ext(ext, 51, ks->data, ks->len);
    cb_free(ks);
    if (p->ticket_fill) {
        uint8_t t[48];
        memset(t, p->ticket_fill, sizeof(t));
        put_ext(ext, 35, t, sizeof(t));
    }
    if (p->psk_fill) {
        uint8_t psk[70];
        memset(psk, p->psk_fill, sizeof(psk));
        put_ext(ext, 41, psk, sizeof(psk));
    }
    put_vec16(body, ext->data, ext->len);
    cb_free(ext);

    struct capbuf *hs = tb_new();
    put_u8(hs, p->server ? 2 : 1);
    put_vec24(hs, body->data, body->len);
    if (p->certificate) {
        size_t der_len = p->cert_len ? p->cert_len : 20;
        uint8_t *der = g_malloc(der_len);
        memset(der, p->cert_fill, der_len);
        struct capbuf *list = tb_new();
        put_vec24(list, der, der_len);
        g_free(der);
        struct capbuf *msg = tb_new();
        put_vec24(msg, list->data, list->len);
        put_u8(hs, 11);
        put_vec24(hs, msg->data, msg->len);
        cb_free(list);
        cb_free(msg);
    }
    cb_free(body);

    struct capbuf *seg = tb_new();
    put_u8(seg, 22);
    put_u16(seg, 0x0303);
    put_u16(seg, hs->len + (p->cut_hello ? 100 : 0));
    put_bytes(seg, hs->data, hs->len);
    cb_free(hs);
    if (p->cut_hello) {
        return seg;
    }
    if (p->enc_len) {
        static const uint8_t ccs[] = {20, 3, 3, 0, 1, 1};
        put_bytes(seg, ccs, sizeof(ccs));
        put_u8(seg, 22);
        put_u16(seg, 0x0303);
        put_u16(seg, p->enc_len);
        put_bytes(seg, p->enc_head, 4);
        for (int i = 4; i < p->enc_len; i++) {
            put_u8(seg, (uint8_t)(i * 37));
        }
    }
    if (p->app_data_cut) {
        put_u8(seg, 23);
        put_u16(seg, 0x0303);
        put_u16(seg, 500);
        for (int i = 0; i < p->app_data_cut; i++) {
            put_u8(seg, (uint8_t)i);
        }
    }
    return seg;
}

struct row {
    const char *name;
    struct hello_params base, variant;
    bool base_ok, variant_ok; /* cls_shape_append's answer for each */
    bool same;                /* shapes equal (when both are ok) */
};

/* Rows start from these defaults and override a field or two. */
#pragma GCC diagnostic ignored "-Woverride-init"
#define CH .sni = "example.test", .cipher = 0x1301, .ks_group = 29, .sid_len = 32
#define SH .server = true, .cipher = 0x1301, .ks_group = 29, .sid_len = 32

static const struct row rows[] = {
    {"client random", {CH, .random_fill = 1}, {CH, .random_fill = 2}, true, true, true},
    {"client session ID bytes", {CH, .sid_fill = 1}, {CH, .sid_fill = 9}, true, true, true},
    {"session ID length", {CH, .sid_len = 0}, {CH}, true, true, false},
    {"key share value", {CH, .ks_fill = 1}, {CH, .ks_fill = 2}, true, true, true},
    {"key share group", {CH, .ks_group = 29}, {CH, .ks_group = 23}, true, true, false},
    {"PSK identity and binder", {CH, .psk_fill = 1}, {CH, .psk_fill = 2}, true, true, true},
    {"PSK offered or not", {CH}, {CH, .psk_fill = 2}, true, true, false},
    {"ticket contents", {CH, .ticket_fill = 1}, {CH, .ticket_fill = 2}, true, true, true},
    {"SNI", {CH, .sni = "example.test"}, {CH, .sni = "exbmple.test"}, true, true, false},
    {"cipher suites", {CH, .cipher = 0x1301}, {CH, .cipher = 0x1302}, true, true, false},
    {"server random and key share",
     {SH, .random_fill = 1, .ks_fill = 1},
     {SH, .random_fill = 2, .ks_fill = 2},
     true,
     true,
     true},
    {"server cipher", {SH, .cipher = 0x1301}, {SH, .cipher = 0x1303}, true, true, false},
    {"encrypted Finished, unreadable as a message",
     {SH, .enc_len = 40, .enc_head = {7, 9, 1, 2}},
     {SH, .enc_len = 40, .enc_head = {1, 0, 0, 37}},
     true,
     true,
     true},
    {"encrypted Finished that reads as a message",
     {SH, .enc_len = 40, .enc_head = {7, 9, 1, 2}},
     {SH, .enc_len = 40, .enc_head = {1, 0, 0, 10}},
     true,
     true,
     false},
    {"certificate kept and flagged", {SH}, {SH, .certificate = true}, true, true, false},
    {"certificate bytes",
     {SH, .certificate = true, .cert_fill = 1},
     {SH, .certificate = true, .cert_fill = 2},
     true,
     true,
     false},
    {"same certificate, fresh randoms",
     {SH, .certificate = true, .cert_fill = 1},
     {SH, .certificate = true, .cert_fill = 1, .random_fill = 5},
     true,
     true,
     true},
    /* Longer than the buffer a shape is gathered in (2 KB). */
    {"large certificate bytes",
     {SH, .certificate = true, .cert_len = 5000, .cert_fill = 1},
     {SH, .certificate = true, .cert_len = 5000, .cert_fill = 2},
     true,
     true,
     false},
    {"same large certificate, fresh randoms and key share",
     {SH, .certificate = true, .cert_len = 5000, .cert_fill = 1},
     {SH, .certificate = true, .cert_len = 5000, .cert_fill = 1, .random_fill = 5, .ks_fill = 6},
     true,
     true,
     true},
    {"hello continued in the next segment", {CH}, {CH, .cut_hello = true}, true, false, false},
    {"application data cut: its bytes do not count",
     {SH, .app_data_cut = 10},
     {SH, .app_data_cut = 10, .random_fill = 3},
     true,
     true,
     true},
    {"application data cut at another length",
     {SH, .app_data_cut = 10},
     {SH, .app_data_cut = 11},
     true,
     true,
     false},
};

static void run_row(void **state)
{
    const struct row *r = *state;
    struct capbuf *a = build(&r->base), *b = build(&r->variant);
    GByteArray *sa = g_byte_array_new(), *sb = g_byte_array_new();
    struct cls_shape_dir st_a = {0}, st_b = {0};
    assert_int_equal(cls_shape_append(a->data, a->len, &st_a, sa), r->base_ok);
    assert_int_equal(cls_shape_append(b->data, b->len, &st_b, sb), r->variant_ok);
    assert_int_equal(st_a.certificate, r->base.certificate);
    assert_int_equal(st_b.certificate, r->variant.certificate);
    if (r->base_ok && r->variant_ok) {
        bool same = sa->len == sb->len && memcmp(sa->data, sb->data, sa->len) == 0;
        assert_int_equal(same, r->same);
    }
    cb_free(a);
    cb_free(b);
    g_byte_array_free(sa, TRUE);
    g_byte_array_free(sb, TRUE);
}

/* A segment whose fresh values are all zero already is its own shape, byte for byte: the shape
 * loses nothing and reorders nothing, also past its 2 KB buffer and across appends to an array
 * that already holds something. */
static void test_identity(void **state)
{
    (void)state;
    static const struct hello_params segs[] = {
        {CH, .sid_len = 0},
        {SH, .sid_len = 0},
        {SH, .sid_len = 0, .certificate = true, .cert_len = 2000, .cert_fill = 3},
        {SH, .sid_len = 0, .certificate = true, .cert_len = 9000, .cert_fill = 4},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(segs); i++) {
        struct capbuf *seg = build(&segs[i]);
        GByteArray *out = g_byte_array_new();
        static const uint8_t before[] = {0xaa, 0xbb, 0xcc};
        g_byte_array_append(out, before, sizeof(before));
        struct cls_shape_dir st = {0};
        assert_true(cls_shape_append(seg->data, seg->len, &st, out));
        assert_int_equal(out->len, sizeof(before) + seg->len);
        assert_memory_equal(out->data, before, sizeof(before));
        assert_memory_equal(out->data + sizeof(before), seg->data, seg->len);
        cb_free(seg);
        g_byte_array_free(out, TRUE);
    }
}

/* Not TLS at all, and every prefix of a real hello segment: an answer, never a read past the
 * end (ASan watches). */
static void test_hostile(void **state)
{
    (void)state;
    static const uint8_t http[] = "GET / HTTP/1.1\r\n";
    GByteArray *out = g_byte_array_new();
    struct cls_shape_dir st = {0};
    assert_false(cls_shape_append(http, sizeof(http) - 1, &st, out));
    struct hello_params p = {CH, .psk_fill = 3, .ticket_fill = 4};
    struct capbuf *seg = build(&p);
    for (size_t n = 0; n <= seg->len; n++) {
        uint8_t *copy = dup_exact(seg->data, n);
        g_byte_array_set_size(out, 0);
        st = (struct cls_shape_dir){0};
        (void)cls_shape_append(copy, n, &st, out);
        free(copy);
    }
    cb_free(seg);
    g_byte_array_free(out, TRUE);
}

int main(void)
{
    struct test_list l = {0};
    for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
        test_list_add(&l, run_row, (void *)&rows[i], "%s", rows[i].name);
    }
    test_list_add(&l, test_identity, NULL, "no fresh values: the shape is the segment");
    test_list_add(&l, test_hostile, NULL, "hostile input");
    return test_list_run("tls_shape", &l);
}
