/* base/spare_list.h: blocks come back zeroed whatever was written in them (take_raw: as
 * left), the most recently given first; no more than max wait (the rest are freed: LeakSanitizer and valgrind see every
 * block released by cleanup); a list that never kept one allocates nothing of its own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "spare_list.h"

struct spare_case {
    size_t size;
    unsigned max;
    unsigned given; /* blocks taken, scribbled on and given back */
};

static const struct spare_case cases[] = {
    {1, 1, 0}, {1, 1, 1}, {1, 1, 3}, {3776, 4, 2}, {3776, 4, 4}, {3776, 4, 9}, {1080, 1024, 1500},
};

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != 0) {
            return false;
        }
    }
    return true;
}

static void test_case(void **state)
{
    const struct spare_case *tc = *state;
    struct spare_list s;
    spare_list_init(&s, tc->size, tc->max);
    uint8_t **taken = g_new0(uint8_t *, tc->given + 1);
    for (unsigned i = 0; i < tc->given; i++) {
        taken[i] = spare_list_take(&s);
        assert_true(all_zero(taken[i], tc->size));
        memset(taken[i], 0xa5, tc->size);
    }
    assert_int_equal(s.num, 0);
    assert_null(s.blocks);
    for (unsigned i = 0; i < tc->given; i++) {
        spare_list_give(&s, taken[i]);
    }
    spare_list_give(&s, NULL);
    unsigned kept = MIN(tc->given, tc->max);
    assert_int_equal(s.num, kept);
    /* The last ones kept come back first, zeroed again. */
    for (unsigned i = kept; i-- > 0;) {
        uint8_t *p = spare_list_take(&s);
        assert_ptr_equal(p, taken[i]);
        assert_true(all_zero(p, tc->size));
        taken[i] = p;
    }
    assert_int_equal(s.num, 0);
    /* Give half back and leave them to cleanup. */
    for (unsigned i = 0; i < kept; i++) {
        if (i % 2 == 0) {
            spare_list_give(&s, taken[i]);
        } else {
            g_free(taken[i]);
        }
    }
    spare_list_cleanup(&s);
    assert_int_equal(s.num, 0);
    assert_null(s.blocks);
    g_free(taken);
}

/* take_raw: the same order, but the block keeps what its last user wrote (a buffer is filled
 * before it is read; zeroing 4 KB per take would be the cost the list is there to save). */
static void test_take_raw(void **state)
{
    (void)state;
    struct spare_list s;
    spare_list_init(&s, 4096, 2);
    uint8_t *a = spare_list_take_raw(&s); /* empty list: malloc */
    uint8_t *b = spare_list_take_raw(&s);
    assert_non_null(a);
    assert_non_null(b);
    memset(a, 0x11, 4096);
    memset(b, 0x22, 4096);
    spare_list_give(&s, a);
    spare_list_give(&s, b);
    uint8_t *p = spare_list_take_raw(&s);
    assert_ptr_equal(p, b);
    assert_int_equal(p[0], 0x22);
    assert_int_equal(p[4095], 0x22);
    uint8_t *q = spare_list_take(&s); /* the zeroing take still zeroes */
    assert_ptr_equal(q, a);
    assert_true(all_zero(q, 4096));
    g_free(p);
    g_free(q);
    spare_list_cleanup(&s);
}

int main(void)
{
    struct CMUnitTest tests[G_N_ELEMENTS(cases) + 1];
    static char names[G_N_ELEMENTS(cases)][64];
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        struct CMUnitTest t = cmocka_unit_test_prestate(test_case, (void *)&cases[i]);
        g_snprintf(names[i], sizeof(names[i]), "size %zu max %u given %u", cases[i].size,
                   cases[i].max, cases[i].given);
        t.name = names[i];
        tests[i] = t;
    }
    tests[G_N_ELEMENTS(cases)] = (struct CMUnitTest)cmocka_unit_test(test_take_raw);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
