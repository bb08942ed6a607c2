/* Capture timestamps as RFC 3339 UTC strings. The calendar is computed with days-from-civil
 * arithmetic (H. Hinnant's public-domain algorithm) instead of gmtime: no time zone database,
 * no locale, no static buffers, and the same answer on every machine. */
#include <stdio.h>
#include <string.h>

#include "report.h"

/* Floor division: capture times before 1970 are negative and must land in the previous
 * second, not round toward zero. */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) {
        q--;
    }
    return q;
}

/* Proleptic Gregorian date of a day count since 1970-01-01, in 400-year eras of 146097 days. */
static void civil_from_days(int64_t z, int64_t *out_y, unsigned *out_m, unsigned *out_d)
{
    z += 719468; /* days from 0000-03-01 to 1970-01-01 */
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;                                      /* [0, 146096] */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
    int64_t mp = (5 * doy + 2) / 153;                                    /* March = 0 */
    unsigned d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    unsigned m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *out_y = yoe + era * 400 + (m <= 2);
    *out_m = m;
    *out_d = d;
}

const char *rpt_format_ts(int64_t ts_us, char *buf, size_t buf_len)
{
    (void)rpt_format_ts_n(ts_us, buf, buf_len);
    return buf;
}

size_t rpt_format_ts_n(int64_t ts_us, char *buf, size_t buf_len)
{
    /* The remainder is taken directly: secs * 10^6 would overflow for INT64_MIN. From there on
     * the values (about 292,000 years either way) stay far inside int64 range. */
    int64_t secs = floor_div(ts_us, 1000000);
    int64_t usec = ts_us % 1000000;
    if (usec < 0) {
        usec += 1000000;
    }
    /* A connection's timestamps mostly fall in the same second as the previous one formatted:
     * the "YYYY-MM-DDTHH:MM:SS." part of the last second is kept (tlsscope is single-threaded). */
    static int64_t last_secs = INT64_MIN;
    static char last_prefix[20];
    if (secs == last_secs && buf_len >= 28) {
        memcpy(buf, last_prefix, 20);
        unsigned v = (unsigned)usec;
        for (int k = 25; k >= 20; k--) {
            buf[k] = (char)('0' + v % 10);
            v /= 10;
        }
        buf[26] = 'Z';
        buf[27] = '\0';
        return 27;
    }
    int64_t days = floor_div(secs, 86400);
    int64_t sod = secs - days * 86400;
    int64_t year;
    unsigned month, day;
    civil_from_days(days, &year, &month, &day);
    /* Every record and finding carries a timestamp: the common case (years 0-9999, a buffer of
     * at least 28 bytes) is written digit by digit, the rest with snprintf. */
    if (year < 0 || year > 9999 || buf_len < 28) {
        if (buf_len == 0) {
            return 0;
        }
        snprintf(buf, buf_len, "%04lld-%02u-%02uT%02u:%02u:%02u.%06uZ", (long long)year, month, day,
                 (unsigned)(sod / 3600), (unsigned)(sod / 60 % 60), (unsigned)(sod % 60),
                 (unsigned)usec);
        return strlen(buf);
    }
    const struct {
        unsigned v, width;
        char after;
    } parts[] = {{(unsigned)year, 4, '-'},
                 {month, 2, '-'},
                 {day, 2, 'T'},
                 {(unsigned)(sod / 3600), 2, ':'},
                 {(unsigned)(sod / 60 % 60), 2, ':'},
                 {(unsigned)(sod % 60), 2, '.'},
                 {(unsigned)usec, 6, 'Z'}};
    char *p = buf;
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        unsigned v = parts[i].v;
        for (unsigned k = parts[i].width; k > 0; k--) {
            p[k - 1] = (char)('0' + v % 10);
            v /= 10;
        }
        p += parts[i].width;
        *p++ = parts[i].after;
    }
    *p = '\0';
    last_secs = secs;
    memcpy(last_prefix, buf, 20);
    return (size_t)(p - buf);
}
