/* JSON encodings of the values every report object shares. Strings from the wire (SNI, ALPN,
 * certificate names) are not trusted to be UTF-8: invalid sequences become U+FFFD, because
 * the writer passes bytes through and a single bad byte would make the whole document invalid. */
#include <math.h>

#include "json_internal.h"

void rpt_jb_add_string_value(struct rpt_jw *b, const char *s)
{
    if (!s) {
        rpt_jw_add_null_value(b);
        return;
    }
    if (rpt_jw_add_plain_string(b, s)) {
        return;
    }
    if (g_utf8_validate(s, -1, NULL)) {
        rpt_jw_add_string_value(b, s);
        return;
    }
    char *v = g_utf8_make_valid(s, -1);
    rpt_jw_add_string_value(b, v);
    g_free(v);
}

void rpt_jb_str_n(struct rpt_jw *b, const char *name, size_t name_len, const char *s)
{
    ptrdiff_t slen = s ? rpt_jw_plain_len(s) : -1;
    if (slen >= 0) {
        rpt_jb_plain_n(b, name, name_len, s, (size_t)slen);
        return;
    }
    rpt_jw_member_n(b, name, name_len);
    rpt_jb_add_string_value(b, s);
}

void rpt_jb_double(struct rpt_jw *b, const char *name, double v)
{
    rpt_jw_set_member_name(b, name);
    if (!isfinite(v)) {
        rpt_jw_add_null_value(b);
        return;
    }
    rpt_jw_add_double_value(b, round(v * 1000.0) / 1000.0);
}

void rpt_jb_ts_or_null(struct rpt_jw *b, const char *name, int64_t ts_us)
{
    if (ts_us == 0) {
        rpt_jb_null(b, name);
    } else {
        rpt_jb_ts(b, name, ts_us);
    }
}

void rpt_jb_endpoint_n(struct rpt_jw *b, const char *name, size_t name_len,
                       const struct cap_addr *ip, uint16_t port)
{
    char buf[64];
    rpt_jw_member_n(b, name, name_len);
    rpt_jw_begin_object(b);
    rpt_jb_known(b, "ip", rpt_addr_format(ip, buf, sizeof(buf)));
    /* An endpoint is always whole, port 0 included. */
    bool kept = rpt_jw_keep_defaults(b, true);
    rpt_jb_uint(b, "port", port);
    rpt_jw_keep_defaults(b, kept);
    rpt_jw_end_object(b);
}

void rpt_jb_conn_id_n(struct rpt_jw *b, const char *name, size_t name_len, uint64_t id)
{
    if (id == 0) {
        rpt_jb_null(b, name);
        return;
    }
    char buf[RPT_ID_BUF];
    rpt_jw_member_n(b, name, name_len);
    rpt_jw_add_known_value(b, rpt_id_format('C', id, buf));
}

const char *rpt_id_format(char prefix, uint64_t id, char buf[RPT_ID_BUF])
{
    char digits[20]; /* UINT64_MAX has 20 */
    size_t n = 0;
    do {
        digits[n++] = (char)('0' + id % 10);
        id /= 10;
    } while (id != 0);
    size_t k = 0;
    buf[k++] = prefix;
    while (n > 0) {
        buf[k++] = digits[--n];
    }
    buf[k] = '\0';
    return buf;
}

char *rpt_jb_compact(struct rpt_jw *b)
{
    return rpt_jw_finish(b);
}
