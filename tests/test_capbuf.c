/* base/capbuf.h: appends are whole or refused; the buffer never holds more than its cap nor
 * allocates more; a refusal sets the sticky flag and keeps what was held; clear keeps the
 * allocation, cleanup and free release it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <glib.h>

#include "capbuf.h"

#define MAX_APPENDS 4

/* One row: a cap and a run of appends (sizes), with what must be held after them. */
struct cb_case {
    const char *name;
    size_t cap;
    size_t sizes[MAX_APPENDS];
    unsigned num;
    size_t want_len;
    bool want_over;
};

static const struct cb_case cases[] = {
    {"cap 0, empty append", 0, {0}, 1, 0, false},
    {"cap 0, one byte refused", 0, {1}, 1, 0, true},
    {"exact fit", 10, {10}, 1, 10, false},
    {"one past the cap refused whole", 10, {11}, 1, 0, true},
    {"fills then refused", 10, {4, 4, 4}, 3, 8, true},
    {"refused then a fitting append", 10, {4, 7, 6}, 3, 10, true},
    {"grows past the first allocation", 100000, {1, 63, 64, 99872}, 4, 100000, false},
    {"growth cut to the cap", 100, {65, 35}, 2, 100, false},
    {"cap reached by doubling", 1000, {600, 401}, 2, 600, true},
};

/* Appends are numbered bytes, so the test sees which ones were kept and in what order. */
static void fill(uint8_t *p, size_t n, size_t from)
{
    for (size_t i = 0; i < n; i++) {
        p[i] = (uint8_t)(from + i);
    }
}

static void test_case(void **state)
{
    const struct cb_case *tc = *state;
    struct capbuf *b = cb_new(tc->cap);
    uint8_t *want = g_malloc0(tc->want_len + 1);
    size_t want_at = 0, next = 0;
    for (unsigned i = 0; i < tc->num; i++) {
        size_t n = tc->sizes[i];
        uint8_t *src = g_malloc(n + 1);
        fill(src, n, next);
        bool fits = n <= tc->cap - b->len;
        assert_int_equal(cb_append(b, src, n), fits);
        if (fits) {
            memcpy(want + want_at, src, n);
            want_at += n;
        }
        next += n;
        g_free(src);
        assert_true(b->len <= b->cap);
        assert_true(b->alloc <= b->cap);
    }
    assert_int_equal(b->len, tc->want_len);
    assert_int_equal(want_at, tc->want_len);
    assert_int_equal(b->over, tc->want_over);
    if (tc->want_len > 0) {
        assert_memory_equal(b->data, want, tc->want_len);
    }
    g_free(want);
    cb_free(b);
}

/* A NULL source is fine for an empty append (an empty cursor's pointer). */
static void test_null_empty(void **state)
{
    (void)state;
    struct capbuf b;
    cb_init(&b, 4);
    assert_true(cb_append(&b, NULL, 0));
    assert_int_equal(b.len, 0);
    assert_null(b.data);
    cb_cleanup(&b);
}

/* clear empties and forgets the refusal but keeps the memory; cleanup frees it, keeps the cap. */
static void test_clear_cleanup(void **state)
{
    (void)state;
    struct capbuf b;
    cb_init(&b, 8);
    assert_true(cb_append(&b, "abcdef", 6));
    assert_false(cb_append(&b, "ghi", 3));
    assert_true(b.over);
    uint8_t *mem = b.data;
    size_t alloc = b.alloc;
    cb_clear(&b);
    assert_int_equal(b.len, 0);
    assert_false(b.over);
    assert_ptr_equal(b.data, mem);
    assert_int_equal(b.alloc, alloc);
    assert_true(cb_append(&b, "12345678", 8));
    assert_memory_equal(b.data, "12345678", 8);
    cb_cleanup(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.alloc, 0);
    assert_int_equal(b.cap, 8);
    assert_true(cb_append(&b, "x", 1));
    cb_cleanup(&b);
    cb_free(NULL);
}

/* grow reserves without appending, under the same cap. */
static void test_grow(void **state)
{
    (void)state;
    struct capbuf b;
    cb_init(&b, 300);
    assert_true(cb_grow(&b, 200));
    assert_true(b.alloc >= 200);
    assert_int_equal(b.len, 0);
    assert_true(cb_grow(&b, 300));
    assert_int_equal(b.alloc, 300);
    assert_false(cb_grow(&b, 301));
    assert_true(b.over);
    assert_int_equal(b.alloc, 300);
    cb_cleanup(&b);
}

int main(void)
{
    struct CMUnitTest tests[G_N_ELEMENTS(cases) + 3];
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        struct CMUnitTest t = cmocka_unit_test_prestate(test_case, (void *)&cases[i]);
        t.name = cases[i].name;
        tests[i] = t;
    }
    size_t n = G_N_ELEMENTS(cases);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_null_empty);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_clear_cleanup);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_grow);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
