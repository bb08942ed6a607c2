/* rpt_format_ts against the C library's gmtime_r: named edge cases (epoch, leap days, century
 * rules, pre-1970, microsecond borrow), a sweep over every day from 1900 to 2100, and the int64
 * extremes, which must format without crashing or overflowing the 32-byte buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "report.h"

/* The reference: gmtime_r on the floor second, then the microseconds. */
static void reference(int64_t ts_us, char *buf, size_t len)
{
    int64_t s = ts_us / 1000000;
    int64_t us = ts_us % 1000000;
    if (us < 0) {
        us += 1000000;
        s -= 1;
    }
    time_t t = (time_t)s;
    struct tm tm;
    assert_non_null(gmtime_r(&t, &tm));
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)us);
}

struct ts_case {
    const char *name;
    int64_t ts_us;
    const char *want; /* literal expectation, checked as well as the reference */
};

static const struct ts_case cases[] = {
    {"epoch", 0, "1970-01-01T00:00:00.000000Z"},
    {"one_us", 1, "1970-01-01T00:00:00.000001Z"},
    {"minus_one_us", -1, "1969-12-31T23:59:59.999999Z"},
    {"minus_one_s", -1000000, "1969-12-31T23:59:59.000000Z"},
    {"leap_day_2000", 951782400000000LL, "2000-02-29T00:00:00.000000Z"},
    {"leap_day_2024_end", 1709251199999999LL, "2024-02-29T23:59:59.999999Z"},
    {"not_leap_1900", -2203891200000000LL, "1900-03-01T00:00:00.000000Z"},
    {"not_leap_2100", 4107542400000000LL, "2100-03-01T00:00:00.000000Z"},
    {"year_one", -62135596800000000LL, "0001-01-01T00:00:00.000000Z"},
    {"year_9999_end", 253402300799999999LL, "9999-12-31T23:59:59.999999Z"},
    {"y2038", 2147483648000000LL, "2038-01-19T03:14:08.000000Z"},
    {"sample_capture", 1795435200123456LL, "2026-11-23T12:00:00.123456Z"},
    {"pre_1970_fraction", -86399500000LL, "1969-12-31T00:00:00.500000Z"},
};

static void test_case(void **state)
{
    const struct ts_case *tc = *state;
    char got[32], ref[64];
    assert_ptr_equal(rpt_format_ts(tc->ts_us, got, sizeof(got)), got);
    assert_string_equal(got, tc->want);
    /* The _n form writes the same text and says how long it is (the second call of a second
     * takes the cached path). */
    for (int k = 0; k < 2; k++) {
        char again[32];
        assert_int_equal(rpt_format_ts_n(tc->ts_us, again, sizeof(again)), strlen(tc->want));
        assert_string_equal(again, tc->want);
    }
    reference(tc->ts_us, ref, sizeof(ref));
    assert_string_equal(got, ref);
}

/* Every day from 1900-01-01 to 2100-12-31 at a varying time of day and microsecond. */
static void test_sweep_days(void **state)
{
    (void)state;
    const int64_t first = -2208988800LL; /* 1900-01-01 */
    for (int64_t d = 0; d < 73414; d++) {
        int64_t ts = (first + d * 86400 + (d * 3677) % 86400) * 1000000 + (d * 7919) % 1000000;
        char got[32], ref[64];
        size_t n = rpt_format_ts_n(ts, got, sizeof(got));
        reference(ts, ref, sizeof(ref));
        if (n != strlen(ref) || strcmp(got, ref) != 0) {
            fail_msg("ts %lld: got %s want %s", (long long)ts, got, ref);
        }
    }
}

/* The int64 extremes lie hundreds of millennia away: no crash, no overflow, a terminated string
 * that fits the documented 32 bytes. */
static void test_extremes(void **state)
{
    (void)state;
    const int64_t vals[] = {INT64_MIN, INT64_MIN + 1, INT64_MAX, INT64_MAX - 1};
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        char got[32];
        memset(got, 'x', sizeof(got));
        size_t n = rpt_format_ts_n(vals[i], got, sizeof(got));
        assert_true(memchr(got, '\0', sizeof(got)) != NULL);
        assert_int_equal(n, strlen(got));
        assert_int_equal(got[strlen(got) - 1], 'Z');
    }
    /* A short buffer is truncated, not overrun. */
    char small[8];
    assert_int_equal(rpt_format_ts_n(0, small, sizeof(small)), 7);
    assert_string_equal(small, "1970-01");
}

int main(void)
{
    struct CMUnitTest tests[sizeof(cases) / sizeof(cases[0]) + 2];
    size_t n = 0;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tests[n] = (struct CMUnitTest)cmocka_unit_test_prestate(test_case, (void *)&cases[i]);
        tests[n++].name = cases[i].name;
    }
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_sweep_days);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_extremes);
    return _cmocka_run_group_tests("rpt_time", tests, n, NULL, NULL);
}
