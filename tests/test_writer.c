/* base/writer.h: each row is a builder and the exact bytes it must write. Every row runs on a
 * fixed buffer of exactly that size (writes all, ok), on every shorter buffer down to zero bytes
 * (refused, nothing written past the end, what is held is whole writes), and on a capbuf capped
 * at the size and one byte below it. Then the cases no row covers: a refused write stays
 * refused, sections whose length does not fit their prefix, out-of-range values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <glib.h>

#include "writer.h"

#define GUARD 0xa5
#define GUARD_LEN 16

static void b_empty(struct wr *w)
{
    (void)w;
}

static void b_ints(struct wr *w)
{
    wr_u8(w, 0x01);
    wr_u16(w, 0x0203);
    wr_u24(w, 0x040506);
    wr_u32(w, 0x0708090a);
    wr_u16(w, 0xffff);
}

static void b_bytes(struct wr *w)
{
    wr_bytes(w, NULL, 0);
    wr_bytes(w, "ab", 2);
    wr_zeros(w, 3);
    wr_zeros(w, 0);
    wr_bytes(w, "c", 1);
}

static void b_dec(struct wr *w)
{
    wr_dec(w, 0);
    wr_char(w, ',');
    wr_dec(w, 9);
    wr_char(w, ',');
    wr_dec(w, 10);
    wr_char(w, ',');
    wr_dec(w, 65535);
    wr_char(w, ',');
    wr_dec(w, UINT64_MAX);
    wr_char(w, ',');
    wr_dec_min(w, 7, 2);
    wr_char(w, ',');
    wr_dec_min(w, 123, 2);
    wr_char(w, ',');
    wr_dec_min(w, 0, 4);
}

static void b_hex(struct wr *w)
{
    wr_hex(w, 0xabcd, 4);
    wr_char(w, ',');
    wr_hex(w, 0x1, 2);
    wr_char(w, ',');
    wr_hex(w, 0x12345, 4); /* the low digits only, as "%04x" of a u16 */
    wr_char(w, ',');
    static const uint8_t d[] = {0x00, 0x7f, 0x80, 0xff};
    wr_hex_bytes(w, d, sizeof(d));
    wr_hex(w, 0, 0);
}

static void b_text(struct wr *w)
{
    wr_str(w, "t13");
    wr_char(w, 'd');
    wr_str(w, "");
    wr_str(w, "_x");
}

/* A TLS-like extension: type, u16 length, a u8-prefixed list inside. */
static void b_sections(struct wr *w)
{
    wr_u16(w, 0x0010);
    struct wr_sec ext = wr_open(w, 2);
    struct wr_sec list = wr_open(w, 1);
    wr_bytes(w, "h2", 2);
    wr_close(w, list);
    struct wr_sec empty = wr_open(w, 3);
    wr_close(w, empty);
    wr_close(w, ext);
}

/* A section of 300 bytes: its u16 prefix is 0x012c, and the buffer moves as a capbuf grows
 * under it. */
static void b_long_section(struct wr *w)
{
    struct wr_sec s = wr_open(w, 2);
    for (int i = 0; i < 300; i++) {
        wr_u8(w, (uint8_t)i);
    }
    wr_close(w, s);
}

struct wr_case {
    const char *name;
    void (*build)(struct wr *w);
    const uint8_t *want;
    size_t want_len;
    bool sections; /* a refused build may hold placeholder prefixes, not a prefix of want */
};

#define BYTES(s) (const uint8_t *)(s), sizeof(s) - 1

static uint8_t long_section[302];

static const struct wr_case cases[] = {
    {"zero-size", b_empty, (const uint8_t *)"", 0, false},
    {"integers big-endian", b_ints, BYTES("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\xff\xff"),
     false},
    {"bytes and zeros", b_bytes, BYTES("ab\0\0\0c"), false},
    {"decimal", b_dec, BYTES("0,9,10,65535,18446744073709551615,07,123,0000"), false},
    {"hex", b_hex, BYTES("abcd,01,2345,007f80ff"), false},
    {"text", b_text, BYTES("t13d_x"), false},
    {"nested length prefixes", b_sections, BYTES("\x00\x10\x00\x06\x02h2\x00\x00\x00"), true},
    {"u16 prefix past 255", b_long_section, long_section, sizeof(long_section), true},
};

static void check_whole(const struct wr_case *tc, const uint8_t *got, size_t len)
{
    assert_true(len <= tc->want_len);
    if (!tc->sections && len > 0) {
        assert_memory_equal(got, tc->want, len);
    }
}

/* Fixed buffers of every size from the exact one down to zero, with a guard after each. */
static void test_fixed(void **state)
{
    const struct wr_case *tc = *state;
    uint8_t *mem = g_malloc(tc->want_len + GUARD_LEN);
    for (size_t size = tc->want_len + 1; size-- > 0;) {
        memset(mem, GUARD, tc->want_len + GUARD_LEN);
        struct wr w;
        wr_init(&w, mem, size);
        tc->build(&w);
        for (size_t i = size; i < tc->want_len + GUARD_LEN; i++) {
            assert_int_equal(mem[i], GUARD);
        }
        if (size == tc->want_len) {
            assert_true(wr_ok(&w));
            assert_int_equal(wr_len(&w), tc->want_len);
            if (tc->want_len > 0) {
                assert_memory_equal(mem, tc->want, tc->want_len);
            }
        } else {
            assert_false(wr_ok(&w));
            assert_true(wr_len(&w) <= size);
            check_whole(tc, mem, wr_len(&w));
        }
    }
    g_free(mem);
}

/* A capbuf capped at the size fits exactly; one byte less is refused and sets its flag. */
static void test_capbuf(void **state)
{
    const struct wr_case *tc = *state;
    for (int less = 0; less <= (tc->want_len > 0 ? 1 : 0); less++) {
        struct capbuf b;
        cb_init(&b, tc->want_len - (size_t)less);
        assert_true(cb_append(&b, NULL, 0));
        struct wr w;
        wr_init_capbuf(&w, &b);
        tc->build(&w);
        assert_int_equal(b.len, wr_len(&w));
        assert_true(b.len <= b.cap);
        if (less == 0) {
            assert_true(wr_ok(&w));
            assert_false(b.over);
            assert_int_equal(b.len, tc->want_len);
            if (tc->want_len > 0) {
                assert_memory_equal(b.data, tc->want, tc->want_len);
            }
        } else {
            assert_false(wr_ok(&w));
            assert_true(b.over);
            check_whole(tc, b.data, b.len);
        }
        cb_cleanup(&b);
    }
}

/* A capbuf writer appends after what the buffer held. */
static void test_capbuf_appends(void **state)
{
    (void)state;
    struct capbuf b;
    cb_init(&b, 64);
    assert_true(cb_append(&b, "ab", 2));
    struct wr w;
    wr_init_capbuf(&w, &b);
    wr_u16(&w, 0x4344);
    assert_true(wr_ok(&w));
    assert_int_equal(b.len, 4);
    assert_memory_equal(b.data, "abCD", 4);
    assert_ptr_equal(wr_data(&w), b.data);
    cb_cleanup(&b);
}

/* After a refusal, a write that would fit is refused too, and wr_space gives NULL. */
static void test_sticky(void **state)
{
    (void)state;
    uint8_t buf[4];
    struct wr w;
    wr_init(&w, buf, sizeof(buf));
    assert_true(wr_u16(&w, 0x0102));
    assert_false(wr_u32(&w, 0));
    assert_int_equal(wr_len(&w), 2);
    assert_false(wr_u8(&w, 3));
    assert_false(wr_char(&w, 'x'));
    assert_null(wr_space(&w, 1));
    assert_int_equal(wr_len(&w), 2);
    assert_false(wr_ok(&w));
}

/* Text writers keep a byte for the NUL; wr_cstr ends what was written, refused or not. */
static void test_cstr(void **state)
{
    (void)state;
    char buf[6];
    struct wr w;
    wr_init_text(&w, buf, sizeof(buf));
    assert_string_equal(wr_cstr(&w), "");
    wr_str(&w, "abc");
    wr_dec(&w, 42);
    assert_true(wr_ok(&w));
    assert_string_equal(wr_cstr(&w), "abc42");
    assert_false(wr_char(&w, '!'));
    assert_string_equal(wr_cstr(&w), "abc42");

    char one[1];
    wr_init_text(&w, one, sizeof(one));
    assert_false(wr_char(&w, 'a'));
    assert_string_equal(wr_cstr(&w), "");
}

/* A length its prefix cannot hold fails the writer; so does closing a refused open. */
static void test_section_limits(void **state)
{
    (void)state;
    static uint8_t buf[70000];
    struct wr w;

    wr_init(&w, buf, sizeof(buf));
    struct wr_sec s = wr_open(&w, 1);
    assert_true(wr_zeros(&w, 255));
    assert_true(wr_close(&w, s));
    assert_int_equal(buf[0], 255);
    s = wr_open(&w, 1);
    assert_true(wr_zeros(&w, 256));
    assert_false(wr_close(&w, s));
    assert_false(wr_ok(&w));

    wr_init(&w, buf, sizeof(buf));
    s = wr_open(&w, 2);
    assert_true(wr_zeros(&w, 65536));
    assert_false(wr_close(&w, s));

    wr_init(&w, buf, 1);
    s = wr_open(&w, 2);
    assert_false(wr_ok(&w));
    assert_false(wr_close(&w, s));

    wr_init(&w, buf, sizeof(buf));
    s = wr_open(&w, 4);
    assert_false(wr_ok(&w));
    assert_false(wr_close(&w, s));
}

/* Values a field cannot hold are refused, not cut. */
static void test_out_of_range(void **state)
{
    (void)state;
    uint8_t buf[32];
    struct wr w;
    wr_init(&w, buf, sizeof(buf));
    assert_true(wr_u24(&w, 0xffffff));
    assert_false(wr_u24(&w, 0x1000000));
    assert_int_equal(wr_len(&w), 3);
    wr_init(&w, buf, sizeof(buf));
    assert_false(wr_hex(&w, 0, 17));
    assert_int_equal(wr_len(&w), 0);
    wr_init(&w, NULL, 10);
    assert_false(wr_u8(&w, 1));
}

int main(void)
{
    long_section[0] = 0x01;
    long_section[1] = 0x2c;
    for (int i = 0; i < 300; i++) {
        long_section[2 + i] = (uint8_t)i;
    }
    enum { NUM_CASES = G_N_ELEMENTS(cases), NUM_OTHER = 5 };
    struct CMUnitTest tests[2 * NUM_CASES + NUM_OTHER];
    static char names[2 * NUM_CASES][80];
    size_t n = 0;
    for (size_t i = 0; i < NUM_CASES; i++) {
        struct CMUnitTest t = cmocka_unit_test_prestate(test_fixed, (void *)&cases[i]);
        g_snprintf(names[n], sizeof(names[n]), "fixed buffer: %s", cases[i].name);
        t.name = names[n];
        tests[n++] = t;
        struct CMUnitTest u = cmocka_unit_test_prestate(test_capbuf, (void *)&cases[i]);
        g_snprintf(names[n], sizeof(names[n]), "capbuf: %s", cases[i].name);
        u.name = names[n];
        tests[n++] = u;
    }
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_capbuf_appends);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_sticky);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_cstr);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_section_limits);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_out_of_range);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
