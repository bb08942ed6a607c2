/* Helpers shared by the TLS decoder tests: building handshake bodies byte by byte into capped
 * buffers (capbuf.h) through the base writer, so each synthetic vector reads like its RFC
 * structure; exact-size copies so AddressSanitizer catches any read past the end; and running a
 * dynamically built table of cmocka tests where each row carries its own name. */
#ifndef TLSSCOPE_TESTS_TLS_TEST_BUILD_H
#define TLSSCOPE_TESTS_TLS_TEST_BUILD_H

#include <glib.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "capbuf.h"
#include "writer.h"

/* Every vector a test builds is far below this; a builder that reaches it fails its test. */
#define TB_CAP (16u << 20)

/* tb_new: an empty buffer for a test vector (capbuf.h), freed with cb_free. */
static inline struct capbuf *tb_new(void)
{
    return cb_new(TB_CAP);
}

/* The builders write through the base writer (the one big-endian encoding the code uses) and
 * fail the test when the cap refuses them. */
static inline void put_be(struct capbuf *b, unsigned v, unsigned width)
{
    struct wr w;
    wr_init_capbuf(&w, b);
    assert_true(wr_be(&w, v, width));
}

static inline void put_u8(struct capbuf *b, unsigned v)
{
    put_be(b, v, 1);
}

static inline void put_u16(struct capbuf *b, unsigned v)
{
    put_be(b, v, 2);
}

static inline void put_u24(struct capbuf *b, unsigned v)
{
    put_be(b, v, 3);
}

static inline void put_bytes(struct capbuf *b, const void *p, size_t n)
{
    assert_true(cb_append(b, p, n));
}

/* put_vecN: a vector with its N-byte length prefix; a length the prefix cannot hold is written
 * cut to it, as hostile-length tests need. */
static inline void put_vec8(struct capbuf *b, const void *p, size_t n)
{
    put_u8(b, (unsigned)n);
    put_bytes(b, p, n);
}

static inline void put_vec16(struct capbuf *b, const void *p, size_t n)
{
    put_u16(b, (unsigned)n);
    put_bytes(b, p, n);
}

static inline void put_vec24(struct capbuf *b, const void *p, size_t n)
{
    put_u24(b, (unsigned)n);
    put_bytes(b, p, n);
}

/* put_open / put_close: a vector whose N-byte length prefix (width 1 to 3) is filled in when it
 * is closed, for nested vectors written in the order they read. Close innermost first. */
static inline struct wr_sec put_open(struct capbuf *b, unsigned width)
{
    struct wr w;
    wr_init_capbuf(&w, b);
    struct wr_sec s = wr_open(&w, width);
    assert_true(wr_ok(&w));
    return s;
}

static inline void put_close(struct capbuf *b, struct wr_sec s)
{
    struct wr w;
    wr_init_capbuf(&w, b);
    assert_true(wr_close(&w, s));
}

/* put_ext: one Extension { type; opaque data<0..2^16-1> }. */
static inline void put_ext(struct capbuf *b, unsigned type, const void *p, size_t n)
{
    put_u16(b, type);
    put_vec16(b, p, n);
}

/* dup_exact: a heap copy of exactly n bytes (at least one allocation byte so the pointer is
 * real), so a decoder that reads byte n trips ASan. */
static inline uint8_t *dup_exact(const uint8_t *p, size_t n)
{
    uint8_t *c = malloc(n ? n : 1);
    assert_non_null(c);
    if (n) {
        memcpy(c, p, n);
    }
    return c;
}

/* A table row: a name for the report and the row's data. */
struct named_test {
    char *name;
    CMUnitTestFunction fn;
    void *row;
};

struct test_list {
    struct CMUnitTest *tests;
    size_t num;
};

static inline void test_list_add(struct test_list *l, CMUnitTestFunction fn, void *row,
                                 const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *name = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    l->tests = realloc(l->tests, (l->num + 1) * sizeof(l->tests[0]));
    assert_non_null(l->tests);
    struct CMUnitTest t = {name, fn, NULL, NULL, row};
    l->tests[l->num++] = t;
}

static inline int test_list_run(const char *group, struct test_list *l)
{
    int rc = _cmocka_run_group_tests(group, l->tests, l->num, NULL, NULL);
    for (size_t i = 0; i < l->num; i++) {
        g_free((char *)l->tests[i].name);
    }
    free(l->tests);
    return rc;
}

static inline void hex_of(const uint8_t *p, size_t n, char *out)
{
    static const char HEX[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = HEX[p[i] >> 4];
        out[2 * i + 1] = HEX[p[i] & 0xf];
    }
    out[2 * n] = '\0';
}

#endif
