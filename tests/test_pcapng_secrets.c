/* cap_pcapng_secrets_mem: the Decryption Secrets Blocks of a pcapng head, from crafted bytes
 * (both byte orders, several blocks, and hostile lengths that must stop the walk without a read
 * past the buffer). The real file (editcap --inject-secrets) is checked by tests/e2e_keylog. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "capture.h"

struct got {
    unsigned calls;
    uint32_t type;
    char text[64];
};

static void on_secrets(void *user, uint32_t type, const uint8_t *data, size_t len)
{
    struct got *g = user;
    g->calls++;
    g->type = type;
    size_t n = len < sizeof(g->text) - 1 ? len : sizeof(g->text) - 1;
    memcpy(g->text, data, n);
    g->text[n] = '\0';
}

struct buf {
    uint8_t b[512];
    size_t n;
    bool be;
};

static void put32(struct buf *x, uint32_t v)
{
    if (x->be) {
        v = __builtin_bswap32(v);
    }
    memcpy(x->b + x->n, &v, 4); /* the test host is little-endian, as the CI machine */
    x->n += 4;
}

static void shb(struct buf *x)
{
    put32(x, 0x0A0D0D0A);
    put32(x, 28);
    put32(x, 0x1A2B3C4D);
    put32(x, 0x00000001); /* version 1.0 */
    put32(x, 0xFFFFFFFF); /* section length: unknown */
    put32(x, 0xFFFFFFFF);
    put32(x, 28);
}

static void dsb(struct buf *x, const char *text, uint32_t claimed_len)
{
    size_t len = strlen(text), pad = (4 - len % 4) % 4;
    uint32_t total = (uint32_t)(12 + 8 + len + pad);
    put32(x, 0x0000000A);
    put32(x, total);
    put32(x, CAP_SECRETS_TLS_KEYLOG);
    put32(x, claimed_len ? claimed_len : (uint32_t)len);
    memcpy(x->b + x->n, text, len);
    x->n += len;
    memset(x->b + x->n, 0, pad);
    x->n += pad;
    put32(x, total);
}

static void epb(struct buf *x)
{
    put32(x, 0x00000006);
    put32(x, 32);
    for (int i = 0; i < 5; i++) {
        put32(x, 0);
    }
    put32(x, 32);
}

enum shape {
    SH_ONE,
    SH_TWO,
    SH_BIG_ENDIAN,
    SH_AFTER_PACKET,
    SH_NOT_PCAPNG,
    SH_SLEN_TOO_LONG,
    SH_TRUNCATED,
    SH_EMPTY
};

struct row {
    const char *name;
    enum shape shape;
    bool found;
    unsigned calls;
    const char *text; /* the last block's text */
};

static const struct row ROWS[] = {
    {"one_block", SH_ONE, true, 1, "CLIENT_RANDOM aa bb"},
    {"two_blocks", SH_TWO, true, 2, "second"},
    {"big_endian", SH_BIG_ENDIAN, true, 1, "CLIENT_RANDOM aa bb"},
    {"secrets_after_a_packet_not_read", SH_AFTER_PACKET, true, 1, "first"},
    {"not_pcapng", SH_NOT_PCAPNG, false, 0, NULL},
    {"secrets_length_past_block", SH_SLEN_TOO_LONG, false, 0, NULL},
    {"truncated_block", SH_TRUNCATED, false, 0, NULL},
    {"empty", SH_EMPTY, false, 0, NULL},
};

static void run_row(void **state)
{
    const struct row *r = *state;
    struct buf x = {.n = 0, .be = r->shape == SH_BIG_ENDIAN};
    switch (r->shape) {
    case SH_ONE:
    case SH_BIG_ENDIAN:
        shb(&x);
        dsb(&x, "CLIENT_RANDOM aa bb", 0);
        epb(&x);
        break;
    case SH_TWO:
        shb(&x);
        dsb(&x, "first", 0);
        dsb(&x, "second", 0);
        break;
    case SH_AFTER_PACKET:
        shb(&x);
        dsb(&x, "first", 0);
        epb(&x);
        dsb(&x, "after", 0);
        break;
    case SH_NOT_PCAPNG:
        put32(&x, 0xa1b2c3d4); /* a pcap file header */
        put32(&x, 0x00040002);
        put32(&x, 0);
        put32(&x, 0);
        break;
    case SH_SLEN_TOO_LONG:
        shb(&x);
        dsb(&x, "abcd", 4096);
        break;
    case SH_TRUNCATED:
        shb(&x);
        dsb(&x, "CLIENT_RANDOM aa bb", 0);
        x.n -= 8; /* the block's end is missing */
        break;
    case SH_EMPTY:
        break;
    }
    struct got g = {0};
    /* A copy of exactly x.n bytes on the heap, so that ASan sees any read past it. */
    uint8_t *copy = g_memdup2(x.b, x.n ? x.n : 1);
    bool found = cap_pcapng_secrets_mem(copy, x.n, on_secrets, &g);
    g_free(copy);
    assert_int_equal(found, r->found);
    assert_int_equal(g.calls, r->calls);
    if (r->text) {
        assert_int_equal(g.type, CAP_SECRETS_TLS_KEYLOG);
        assert_string_equal(g.text, r->text);
    }
}

int main(void)
{
    struct CMUnitTest tests[G_N_ELEMENTS(ROWS)];
    for (size_t i = 0; i < G_N_ELEMENTS(ROWS); i++) {
        tests[i] = (struct CMUnitTest)cmocka_unit_test_prestate(run_row, (void *)&ROWS[i]);
        tests[i].name = ROWS[i].name;
    }
    return _cmocka_run_group_tests("pcapng_secrets", tests, G_N_ELEMENTS(ROWS), NULL, NULL);
}
